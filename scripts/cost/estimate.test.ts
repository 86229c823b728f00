import { describe, expect, it } from "vitest";
import { planOf, resource } from "../../policies/test/fixtures.js";
import type { PlannedResource } from "../plan/plan-types.js";
import { defaults } from "./assumptions.js";
import { diffEstimates } from "./diff.js";
import { estimate, regionOf } from "./estimate.js";
import { roundTable, subnet } from "./fixtures.js";

const under = (parent: PlannedResource, child: PlannedResource): PlannedResource => ({
  ...child,
  parent: parent.urn,
});

const clusterComponent = { ...resource("platform:cluster:Cluster", "cl", {}), custom: false };
const template = resource("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
  blockDeviceMappings: [{ ebs: { volumeSize: 50, volumeType: "gp3" } }],
});
/** A small stack whose cost is worked out by hand below. */
const small = planOf([
  resource("pulumi:pulumi:Stack", "platform-prod", {}),
  subnet,
  resource("aws:ec2/securityGroup:SecurityGroup", "sg", {}),
  clusterComponent,
  under(clusterComponent, resource("aws:eks/cluster:Cluster", "eks", { version: "1.35" })),
  under(clusterComponent, template),
  under(
    clusterComponent,
    resource(
      "aws:eks/nodeGroup:NodeGroup",
      "nodes",
      { instanceTypes: ["m7i.large"], scalingConfig: { desiredSize: 2 } },
      { launchTemplate: [template] },
    ),
  ),
  resource("aws:ec2/natGateway:NatGateway", "nat", {}),
  resource("aws:ec2/eip:Eip", "nat-ip", { domain: "vpc" }),
  resource("aws:kms/key:Key", "key", {}),
  resource("cloudflare:index/dnsRecord:DnsRecord", "api", { proxied: true }),
]);

describe("estimate", () => {
  const result = estimate(small, roundTable, defaults());

  it("prices a small stack at the figure worked out by hand", () => {
    // control plane 730 h × $0.10 = 73; nodes 2 × 730 h × $0.10 = 146; root volumes 2 × 50 GiB × $0.08 = 8;
    // NAT 730 h × $0.05 = 36.50 + 100 GiB × $0.05 = 5; public IPv4 730 h × $0.005 = 3.65;
    // KMS key $1 + 100k requests × $0.03 per 10k = 0.30. In all: 273.45.
    expect(result.monthly).toBe(273.45);
    expect(result.region).toBe("eu-west-1");
  });

  it("groups costs by the component that declares them, the most expensive first", () => {
    expect(result.components.map((c) => [c.component, c.monthly])).toEqual([
      ["cl (platform:cluster:Cluster)", 227],
      ["(stack)", 46.45],
    ]);
  });

  it("counts free resources by type and lists what it cannot price, never as zero", () => {
    expect(result.free.map((f) => [f.type, f.count])).toEqual([
      ["aws:ec2/launchTemplate:LaunchTemplate", 1],
      ["aws:ec2/securityGroup:SecurityGroup", 1],
      ["aws:ec2/subnet:Subnet", 1],
    ]);
    expect(result.notPriced).toEqual([
      {
        type: "cloudflare:index/dnsRecord:DnsRecord",
        count: 1,
        reason: expect.stringContaining("Cloudflare"),
      },
    ]);
  });

  it("lists the usage assumptions it used, and only those", () => {
    expect(result.assumptions.map((a) => [a.name, a.value])).toEqual([
      ["kmsRequestThousands", 100],
      ["natProcessedGiB", 100],
    ]);
  });

  it("refuses a region the price table does not have, naming it and the ones it has", () => {
    const elsewhere = planOf([{ ...subnet, inputs: { availabilityZone: "ap-south-1a" } }]);
    expect(() => estimate(elsewhere, roundTable, defaults())).toThrow(
      "price table round-prices.yaml has no prices for region ap-south-1 (it has eu-west-1)",
    );
  });

  it("tells the region from the subnets' zones, and says so when it cannot", () => {
    expect(regionOf(small)).toBe("eu-west-1");
    expect(() => regionOf(planOf([]))).toThrow(
      /cannot tell the region of stack "prod" .* \(found none\); pass --region/,
    );
  });
});

describe("cost diff", () => {
  const before = estimate(small, roundTable, defaults());

  it("is zero for two identical plans", () => {
    const diff = diffEstimates(before, estimate(structuredClone(small), roundTable, defaults()));
    expect([diff.delta, diff.changes, diff.unpricedAdded]).toEqual([0, [], []]);
  });

  it("shows each resource a change adds, resizes or removes, and the new ones it cannot price", () => {
    const head = planOf([
      ...small.resources
        .filter((r) => r.name !== "nat-ip")
        .map((r) =>
          r.name === "nodes" ? { ...r, inputs: { ...r.inputs, scalingConfig: { desiredSize: 3 } } } : r,
        ),
      resource("aws:kms/key:Key", "another-key", {}),
      resource("cloudflare:index/dnsRecord:DnsRecord", "www", { proxied: true }),
    ]);
    const diff = diffEstimates(before, estimate(head, roundTable, defaults()));
    expect(diff.changes.map((c) => [c.name, c.before, c.after, c.delta])).toEqual([
      ["nodes", 154, 231, 77],
      ["nat-ip", 3.65, undefined, -3.65],
      ["another-key", undefined, 1.3, 1.3],
    ]);
    expect(diff.delta).toBe(74.65);
    expect(diff.unpricedAdded.map((r) => r.name)).toEqual(["www"]);
  });
});
