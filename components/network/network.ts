import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Tags, tagged } from "../shared/tags.js";
import { invalid, requireThreeZones } from "../shared/validation.js";
import { createFlowLog } from "./flow-log.js";
import { planSubnets, type ZoneSubnets } from "./subnet-plan.js";

export interface NetworkArgs {
  /** The AWS region; it names the S3 endpoint. */
  readonly region: string;
  /** The VPC's IPv4 CIDR, /20 or larger. Subnets are carved from it by `planSubnets`. */
  readonly cidr: string;
  /** Exactly three availability zones; every tier gets one subnet in each. */
  readonly zones: readonly string[];
  /** The EKS cluster that will use the VPC; its discovery tags go on the subnets. */
  readonly clusterName: string;
  /** Days the VPC flow logs are kept. */
  readonly flowLogRetentionDays: number;
  /** Tags for every taggable child. */
  readonly tags: Tags;
}

/** One zone's slice of the network. */
export interface ZoneNetwork {
  readonly zone: string;
  readonly publicSubnet: aws.ec2.Subnet;
  readonly privateSubnet: aws.ec2.Subnet;
  readonly isolatedSubnet: aws.ec2.Subnet;
  readonly natGateway: aws.ec2.NatGateway;
}

export function validateNetworkArgs(args: NetworkArgs): ZoneSubnets[] {
  requireThreeZones(args.zones);
  try {
    return planSubnets(args.cidr, args.zones);
  } catch (err) {
    return invalid("cidr", (err as Error).message);
  }
}

/**
 * A VPC over three availability zones with public, private and isolated (data) subnets in
 * each, and one NAT gateway per zone so that losing a zone never cuts another's egress.
 * Isolated subnets have no route out of the VPC: data stores live there.
 */
export class Network extends pulumi.ComponentResource {
  static readonly type = "platform:network:Network";

  readonly vpc: aws.ec2.Vpc;
  readonly zones: readonly ZoneNetwork[];
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly isolatedSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    const layout = validateNetworkArgs(args);
    super(Network.type, name, { cidr: args.cidr, zones: [...args.zones] }, opts);
    const cluster = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };

    this.vpc = new aws.ec2.Vpc(
      name,
      {
        cidrBlock: args.cidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: tagged(args.tags, name),
      },
      { parent: this },
    );
    // The default security group admits all traffic between its members; empty it so nothing relies on it.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default`,
      { vpcId: this.vpc.id, tags: tagged(args.tags, `${name}-default`) },
      { parent: this },
    );
    const igw = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: this.vpc.id, tags: tagged(args.tags, `${name}-igw`) },
      { parent: this },
    );
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      {
        vpcId: this.vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: tagged(args.tags, `${name}-public`),
      },
      { parent: this },
    );

    const subnet = (tier: string, zone: ZoneSubnets, cidrBlock: string, extra: Tags) =>
      new aws.ec2.Subnet(
        `${name}-${tier}-${zone.zone}`,
        {
          vpcId: this.vpc.id,
          availabilityZone: zone.zone,
          cidrBlock,
          mapPublicIpOnLaunch: false,
          tags: tagged(args.tags, `${name}-${tier}-${zone.zone}`, { "platform.io/tier": tier, ...extra }),
        },
        { parent: this },
      );
    const associate = (subnetResource: aws.ec2.Subnet, table: aws.ec2.RouteTable, label: string) =>
      new aws.ec2.RouteTableAssociation(
        label,
        { subnetId: subnetResource.id, routeTableId: table.id },
        { parent: this },
      );

    const privateRouteTables: aws.ec2.RouteTable[] = [];
    this.zones = layout.map((zone) => {
      const publicSubnet = subnet("public", zone, zone.public, { ...cluster, "kubernetes.io/role/elb": "1" });
      const privateSubnet = subnet("private", zone, zone.private, {
        ...cluster,
        "kubernetes.io/role/internal-elb": "1",
      });
      const isolatedSubnet = subnet("isolated", zone, zone.isolated, {});
      associate(publicSubnet, publicRoutes, `${name}-public-${zone.zone}`);

      const eip = new aws.ec2.Eip(
        `${name}-nat-${zone.zone}`,
        { domain: "vpc", tags: tagged(args.tags, `${name}-nat-${zone.zone}`) },
        { parent: this },
      );
      const natGateway = new aws.ec2.NatGateway(
        `${name}-nat-${zone.zone}`,
        {
          allocationId: eip.id,
          subnetId: publicSubnet.id,
          connectivityType: "public",
          tags: tagged(args.tags, `${name}-nat-${zone.zone}`),
        },
        { parent: this, dependsOn: [igw] },
      );
      const privateRoutes = new aws.ec2.RouteTable(
        `${name}-private-${zone.zone}`,
        {
          vpcId: this.vpc.id,
          routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: natGateway.id }],
          tags: tagged(args.tags, `${name}-private-${zone.zone}`),
        },
        { parent: this },
      );
      privateRouteTables.push(privateRoutes);
      associate(privateSubnet, privateRoutes, `${name}-private-${zone.zone}`);
      const isolatedRoutes = new aws.ec2.RouteTable(
        `${name}-isolated-${zone.zone}`,
        { vpcId: this.vpc.id, tags: tagged(args.tags, `${name}-isolated-${zone.zone}`) },
        { parent: this },
      );
      associate(isolatedSubnet, isolatedRoutes, `${name}-isolated-${zone.zone}`);
      return { zone: zone.zone, publicSubnet, privateSubnet, isolatedSubnet, natGateway };
    });

    // Image pulls and backups reach S3 without crossing the NAT gateways.
    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateRouteTables.map((t) => t.id),
        tags: tagged(args.tags, `${name}-s3`),
      },
      { parent: this },
    );
    createFlowLog(
      name,
      { vpcId: this.vpc.id, retentionDays: args.flowLogRetentionDays, tags: args.tags },
      this,
    );

    this.publicSubnetIds = pulumi.output(this.zones.map((z) => z.publicSubnet.id));
    this.privateSubnetIds = pulumi.output(this.zones.map((z) => z.privateSubnet.id));
    this.isolatedSubnetIds = pulumi.output(this.zones.map((z) => z.isolatedSubnet.id));
    this.registerOutputs({
      vpcId: this.vpc.id,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      isolatedSubnetIds: this.isolatedSubnetIds,
    });
  }
}
