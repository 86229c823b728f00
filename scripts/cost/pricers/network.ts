/**
 * The network: NAT gateways, public IPv4 addresses, load balancers, VPC endpoints, and the
 * VPC's data transfer (between zones and out to the internet), which no resource states.
 */
import { free, input, monthOf, type Pricer, priced, Unpriceable, usageLine } from "../model.js";

export const natGateway: Pricer = (nat, context) => {
  if (input(nat, "connectivityType") === "private")
    throw new Unpriceable("private NAT gateways are not in the price table");
  const { vpc } = context.prices;
  return priced(
    monthOf(context, "NAT gateway", 1, vpc.natGatewayHour),
    usageLine(context, nat, "data processed", "natProcessedGiB", "GiB", vpc.natGatewayGiB),
  );
};

/** An Elastic IP: AWS bills every public IPv4 address by the hour, attached or not. */
export const elasticIp: Pricer = (_eip, context) =>
  priced(monthOf(context, "public IPv4 address", 1, context.prices.ec2.publicIpv4Hour));

/** Per load balancer type: its hourly fee, and its capacity unit with the assumption for how many. */
const balancers = {
  network: { hour: "nlbHour", unit: "NLCU", unitHour: "nlcuHour", assumption: "nlbCapacityUnits" },
  application: { hour: "albHour", unit: "LCU", unitHour: "lcuHour", assumption: "albCapacityUnits" },
} as const;

export const loadBalancer: Pricer = (lb, context) => {
  const type = String(input(lb, "loadBalancerType") ?? "application");
  const balancer = balancers[type as keyof typeof balancers];
  if (!balancer) throw new Unpriceable(`${type} load balancers are not in the price table`);
  const { elb } = context.prices;
  return priced(
    monthOf(context, `${type} load balancer`, 1, elb[balancer.hour]),
    usageLine(
      context,
      lb,
      `capacity units (${balancer.unit}-hours)`,
      balancer.assumption,
      `${balancer.unit}-month`,
      elb[balancer.unitHour] * context.hoursPerMonth,
    ),
  );
};

/** Gateway endpoints (S3, DynamoDB) are free; an interface endpoint is billed per zone, by the hour, and per GiB. */
export const vpcEndpoint: Pricer = (endpoint, context) => {
  if ((input(endpoint, "vpcEndpointType") ?? "Gateway") === "Gateway")
    return free("gateway VPC endpoints (S3, DynamoDB)");
  const { vpc } = context.prices;
  const zones = ((input(endpoint, "subnetIds") as unknown[] | undefined) ?? [null]).length;
  return priced(
    monthOf(context, `interface endpoint in ${zones} zone(s)`, zones, vpc.interfaceEndpointHour),
    usageLine(context, endpoint, "data processed", "interfaceEndpointGiB", "GiB", vpc.interfaceEndpointGiB),
  );
};

/** The VPC itself is free; it carries the stack's data transfer, stated as assumptions. */
export const vpcDataTransfer: Pricer = (network, context) => {
  const { vpc } = context.prices;
  return priced(
    usageLine(context, network, "data transfer between zones", "interAzGiB", "GiB", vpc.interAzGiB),
    usageLine(
      context,
      network,
      "data transfer out to the internet",
      "internetEgressGiB",
      "GiB",
      vpc.internetEgressGiB,
    ),
  );
};
