import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { idOf, recorded } from "../../test/pulumi.js";
import { Network, validateNetworkArgs } from "./network.js";

const args = {
  region: "eu-west-1",
  cidr: "10.40.0.0/16",
  zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  clusterName: "platform-prod",
  flowLogRetentionDays: 365,
  tags: { owner: "platform-team", "cost-center": "cc-1" },
};

describe("Network", () => {
  const network = new Network("net", args);

  it("puts a public, private and isolated subnet in each of the three zones", async () => {
    const subnets = await recorded("aws:ec2/subnet:Subnet", network);
    const byTier = (tier: string) =>
      subnets
        .filter((s) => (s.inputs["tags"] as Record<string, string>)["platform.io/tier"] === tier)
        .map((s) => s.inputs["availabilityZone"]);
    for (const tier of ["public", "private", "isolated"]) expect(byTier(tier).sort()).toEqual(args.zones);
    expect(subnets.every((s) => s.inputs["mapPublicIpOnLaunch"] === false)).toBe(true);
  });

  it("runs one NAT gateway per zone, each in that zone's public subnet", async () => {
    const subnets = await recorded("aws:ec2/subnet:Subnet", network);
    const zoneOfSubnet = new Map(subnets.map((s) => [idOf(s), s.inputs["availabilityZone"]]));
    const nats = await recorded("aws:ec2/natGateway:NatGateway", network);
    expect(nats.map((n) => zoneOfSubnet.get(n.inputs["subnetId"] as string)).sort()).toEqual(args.zones);
  });

  it("routes each private subnet through the NAT gateway of its own zone", async () => {
    const nats = await recorded("aws:ec2/natGateway:NatGateway", network);
    const natZone = new Map(nats.map((n) => [idOf(n), n.name.slice(-"eu-west-1a".length)]));
    const tables = (await recorded("aws:ec2/routeTable:RouteTable", network)).filter((t) =>
      t.name.includes("-private-"),
    );
    expect(tables).toHaveLength(3);
    for (const table of tables) {
      const routes = table.inputs["routes"] as { natGatewayId: string }[];
      expect(natZone.get(routes[0]!.natGatewayId)).toBe(table.name.slice(-"eu-west-1a".length));
    }
  });

  it("gives isolated subnets no route out of the VPC", async () => {
    const tables = (await recorded("aws:ec2/routeTable:RouteTable", network)).filter((t) =>
      t.name.includes("-isolated-"),
    );
    expect(tables).toHaveLength(3);
    for (const table of tables) expect(table.inputs["routes"] ?? []).toEqual([]);
  });

  it("tags subnets for EKS and load-balancer discovery", async () => {
    const subnets = await recorded("aws:ec2/subnet:Subnet", network);
    const tags = (tier: string) =>
      subnets
        .map((s) => s.inputs["tags"] as Record<string, string>)
        .filter((t) => t["platform.io/tier"] === tier);
    for (const t of tags("public"))
      expect(t).toMatchObject({
        "kubernetes.io/role/elb": "1",
        "kubernetes.io/cluster/platform-prod": "shared",
      });
    for (const t of tags("private")) expect(t).toMatchObject({ "kubernetes.io/role/internal-elb": "1" });
    for (const t of tags("isolated")) expect(t["kubernetes.io/role/elb"]).toBeUndefined();
  });

  it("logs all VPC traffic to a retained log group", async () => {
    const [flowLog] = await recorded("aws:ec2/flowLog:FlowLog", network);
    expect(flowLog?.inputs).toMatchObject({ trafficType: "ALL", logDestinationType: "cloud-watch-logs" });
    const [group] = await recorded("aws:cloudwatch/logGroup:LogGroup", network);
    expect(group?.inputs["retentionInDays"]).toBe(365);
  });

  it("exposes three subnet ids per tier", async () => {
    const ids = await new Promise<string[][]>((resolve) =>
      pulumi
        .all([network.publicSubnetIds, network.privateSubnetIds, network.isolatedSubnetIds])
        .apply(resolve),
    );
    expect(ids.map((list) => new Set(list).size)).toEqual([3, 3, 3]);
  });
});

describe("validateNetworkArgs", () => {
  it("refuses two zones, naming the property", () => {
    expect(() => validateNetworkArgs({ ...args, zones: ["eu-west-1a", "eu-west-1b"] })).toThrow(
      /exactly 3 availability zones/,
    );
  });

  it("refuses a repeated zone", () => {
    expect(() => validateNetworkArgs({ ...args, zones: ["eu-west-1a", "eu-west-1a", "eu-west-1b"] })).toThrow(
      /distinct/,
    );
  });

  it("refuses a CIDR too small for the layout", () => {
    expect(() => validateNetworkArgs({ ...args, cidr: "10.0.0.0/24" })).toThrow(/smaller than \/20/);
  });
});
