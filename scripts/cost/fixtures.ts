/**
 * For the cost tests: a price table of round figures (so each expected cost can be worked
 * out by hand) and a way to price one resource among others.
 */
import type { PlannedResource } from "../plan/plan-types.js";
import { defaults } from "./assumptions.js";
import { estimate, type ResourceCost } from "./estimate.js";
import type { PriceTable, RegionPrices } from "./price-table.js";

const roundPrices: RegionPrices = {
  eks: { clusterHour: 0.1, extendedSupportClusterHour: 0.6, extendedSupportVersions: ["1.33"] },
  ec2: { instanceHour: { "m7i.large": 0.1 }, ebsGiBMonth: { gp3: 0.08, gp2: 0.1 }, publicIpv4Hour: 0.005 },
  aurora: { instanceHour: { "db.r7g.large": 0.3 }, storageGiBMonth: 0.1, ioMillionRequests: 0.2 },
  elasticache: { nodeHour: { redis: { "cache.r7g.large": 0.2 } } },
  opensearch: { instanceHour: { "r7g.large.search": 0.2, "m7g.large.search": 0.15 }, gp3GiBMonth: 0.12 },
  msk: { brokerHour: { "kafka.m7g.large": 0.2 }, storageGiBMonth: 0.1 },
  vpc: {
    natGatewayHour: 0.05,
    natGatewayGiB: 0.05,
    interfaceEndpointHour: 0.01,
    interfaceEndpointGiB: 0.01,
    interAzGiB: 0.02,
    internetEgressGiB: 0.09,
  },
  elb: { nlbHour: 0.025, nlcuHour: 0.006, albHour: 0.025, lcuHour: 0.008 },
  kms: { keyMonth: 1, tenThousandRequests: 0.03 },
  secretsManager: { secretMonth: 0.4, tenThousandCalls: 0.05 },
  s3: { standardGiBMonth: 0.02, thousandPuts: 0.005, thousandGets: 0.0004 },
  ecr: { storageGiBMonth: 0.1 },
  cloudwatchLogs: { ingestedGiB: 0.5, storedGiBMonth: 0.03 },
};

export const roundTable: PriceTable = {
  file: "round-prices.yaml",
  taken: "2026-12-04",
  currency: "USD",
  hoursPerMonth: 730,
  sources: {},
  regions: { "eu-west-1": roundPrices },
};

/** A subnet in eu-west-1a, so the plan's region is known. */
export const subnet: PlannedResource = {
  urn: "urn:pulumi:prod::platform::aws:ec2/subnet:Subnet::subnet-a",
  type: "aws:ec2/subnet:Subnet",
  name: "subnet-a",
  parent: null,
  custom: true,
  inputs: { availabilityZone: "eu-west-1a" },
  dependencies: {},
};

/** How `resource` is priced in a plan with `others`, under the round table and the default assumptions. */
export function priceIn(resource: PlannedResource, others: readonly PlannedResource[] = []): ResourceCost {
  const result = estimate(
    { stack: "prod", resources: [subnet, resource, ...others] },
    roundTable,
    defaults(),
  );
  return result.resources.find((r) => r.urn === resource.urn)!;
}

/** The monthly total of a priced resource, and its lines as [item, monthly]. */
export const linesOf = (cost: ResourceCost) =>
  cost.pricing.kind === "priced" ? cost.pricing.lines.map((l) => [l.item, l.monthly]) : cost.pricing;
