import { describe, expect, it } from "vitest";
import { check, messages, resource } from "../test/fixtures.js";
import { oneNatGatewayPerZone, oneNodeGroupPerZone, zonalResourcesSpanThreeZones } from "./zones.js";

const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const subnet = (zone: string) =>
  resource("aws:ec2/subnet:Subnet", `subnet-${zone}`, { availabilityZone: zone });
const subnets = zones.map(subnet);
const nat = (name: string, s = subnets[0]!) =>
  resource("aws:ec2/natGateway:NatGateway", name, { subnetId: "subnet" }, { subnetId: [s] });
const nodeGroup = (name: string, ...in_: typeof subnets) =>
  resource("aws:eks/nodeGroup:NodeGroup", name, { subnetIds: in_.map(() => "subnet") }, { subnetIds: in_ });
const cluster = (...in_: typeof subnets) =>
  resource("aws:eks/cluster:Cluster", "cluster", { vpcConfig: { subnetIds: [] } }, { vpcConfig: in_ });

const good = [
  ...subnets,
  ...subnets.map((s, i) => nat(`nat-${i}`, s)),
  ...subnets.map((s, i) => nodeGroup(`nodes-${i}`, s)),
  cluster(...subnets),
];

describe("zone policies", () => {
  it("pass a stack with one NAT gateway and node group per zone and a cluster over all three", async () => {
    const run = await check([zonalResourcesSpanThreeZones, oneNatGatewayPerZone, oneNodeGroupPerZone], good);
    expect(run.violations).toEqual([]);
  });

  it("flag a multi-zone resource that leaves a zone out", async () => {
    const run = await check(zonalResourcesSpanThreeZones, [
      ...good.slice(0, -1),
      cluster(subnets[0]!, subnets[1]!),
    ]);
    expect(messages(run)).toEqual([
      expect.stringMatching(/exactly 3 zones; it is in eu-west-1a×1, eu-west-1b×1$/),
    ]);
  });

  it("flag a fourth zone and an uneven spread", async () => {
    const fourth = subnet("eu-west-1d");
    const run = await check(zonalResourcesSpanThreeZones, [
      ...good.slice(0, -1),
      fourth,
      cluster(...subnets, subnets[0]!),
    ]);
    expect(messages(run)).toEqual([
      expect.stringContaining("use 4 zones"),
      expect.stringContaining("eu-west-1a×2, eu-west-1b×1, eu-west-1c×1"),
    ]);
  });

  it("take the zone count from the config", async () => {
    const run = await check(zonalResourcesSpanThreeZones, good, {
      config: { "zonal-resources-span-three-zones": { zoneCount: 2 } },
    });
    expect(messages(run)).toHaveLength(2);
  });

  it("flag a zone without its own NAT gateway, following each NAT to its subnet's zone", async () => {
    const shared = [...subnets, nat("nat-0", subnets[0]), nat("nat-1", subnets[0]), nat("nat-2", subnets[2])];
    const run = await check(oneNatGatewayPerZone, shared);
    expect(messages(run)).toEqual([
      "zone eu-west-1a has 2 NAT gateways; expected exactly one",
      "zone eu-west-1b has 0 NAT gateways; expected exactly one",
    ]);
  });

  it("flag a node group spanning zones", async () => {
    const spanning = [...subnets, cluster(...subnets), nodeGroup("all", ...subnets)];
    const run = await check(oneNodeGroupPerZone, spanning);
    expect(messages(run)[0]).toBe(
      "a node group must sit in one zone; it is in eu-west-1a, eu-west-1b, eu-west-1c",
    );
  });
});
