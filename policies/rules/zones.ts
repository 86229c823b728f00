/**
 * Zones: the platform lives in exactly three availability zones, and losing one never takes
 * another's capacity or egress with it. Stack validations, because a NAT gateway's or node
 * group's zone is its subnet's, reached through property dependencies.
 */
import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { type ConfigProperty, dependenciesOf, ofType } from "../lib/policy-kit.js";
import { countByZone, multiZoneTypes, stackZones, zonesOf } from "../lib/zones.js";

const zoneCount: ConfigProperty = {
  type: "integer",
  minimum: 1,
  default: 3,
  description: "How many availability zones the stack spans.",
};
interface ZoneConfig {
  zoneCount: number;
}

const describe = (counts: Map<string, number>) =>
  [...counts].map(([zone, n]) => `${zone}×${n}`).join(", ") || "none";

function checkSpread(
  zones: readonly string[],
  expected: number,
  what: string,
  urn: string,
  report: ReportViolation,
) {
  const counts = countByZone(zones);
  const even = new Set(counts.values()).size <= 1;
  if (counts.size !== expected || !even) {
    report(`${what} must spread evenly over exactly ${expected} zones; it is in ${describe(counts)}`, urn);
  }
}

export const zonalResourcesSpanThreeZones: StackValidationPolicy = {
  name: "zonal-resources-span-three-zones",
  description:
    "The stack uses exactly three availability zones, and every multi-zone resource spans all of them evenly.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { zoneCount } },
  validateStack: (args, report) => {
    const { zoneCount } = args.getConfig<ZoneConfig>();
    const zones = stackZones(args.resources);
    if (zones.length === 0) args.notApplicable("the stack declares no subnets");
    if (zones.length !== zoneCount) {
      report(`the stack's subnets use ${zones.length} zones (${zones.join(", ")}); expected ${zoneCount}`);
    }
    for (const r of args.resources.filter((r) => multiZoneTypes[r.type])) {
      checkSpread(zonesOf(r) ?? [], zoneCount, r.type, r.urn, report);
    }
    const instances = ofType(args.resources, "aws:rds/clusterInstance:ClusterInstance");
    const byCluster = new Map<string, PolicyResource[]>();
    for (const instance of instances) {
      const cluster = dependenciesOf(instance, "clusterIdentifier")[0]?.urn ?? "(no cluster)";
      byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), instance]);
    }
    for (const [cluster, members] of byCluster) {
      checkSpread(
        members.flatMap((m) => zonesOf(m) ?? []),
        zoneCount,
        "the cluster's instances",
        cluster,
        report,
      );
    }
  },
};

/** Exactly one resource of `type` in each of the stack's zones, each in a single zone. */
function onePerZone(
  resources: readonly PolicyResource[],
  type: string,
  noun: string,
  report: ReportViolation,
) {
  const placed = ofType(resources, type);
  const counts = new Map<string, number>();
  for (const r of placed) {
    const zones = [...new Set(zonesOf(r))];
    if (zones.length !== 1)
      report(`a ${noun} must sit in one zone; it is in ${zones.join(", ") || "none"}`, r.urn);
    for (const zone of zones) counts.set(zone, (counts.get(zone) ?? 0) + 1);
  }
  for (const zone of stackZones(resources)) {
    const n = counts.get(zone) ?? 0;
    if (n !== 1) report(`zone ${zone} has ${n} ${noun}s; expected exactly one`);
  }
}

export const oneNatGatewayPerZone: StackValidationPolicy = {
  name: "one-nat-gateway-per-zone",
  description: "Each zone has its own NAT gateway, so losing a zone never cuts another's egress.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    if (stackZones(args.resources).length === 0) args.notApplicable("the stack declares no subnets");
    onePerZone(args.resources, "aws:ec2/natGateway:NatGateway", "NAT gateway", report);
  },
};

export const oneNodeGroupPerZone: StackValidationPolicy = {
  name: "one-node-group-per-zone",
  description:
    "The cluster has one managed node group per zone, so the autoscaler can add capacity in the zone that needs it.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    if (ofType(args.resources, "aws:eks/cluster:Cluster").length === 0) args.notApplicable("no EKS cluster");
    onePerZone(args.resources, "aws:eks/nodeGroup:NodeGroup", "node group", report);
  },
};

export const zonePolicies = [zonalResourcesSpanThreeZones, oneNatGatewayPerZone, oneNodeGroupPerZone];
