/**
 * Where zonal resources sit, read the way a stack validation can: a zone named in the
 * resource's own props, or the subnets its placement property depends on (the engine's
 * property dependencies), each with its `availabilityZone`.
 */
import type { PolicyResource } from "@pulumi/policy";
import { asArray, dependenciesOf } from "./policy-kit.js";

export const subnetType = "aws:ec2/subnet:Subnet";

interface Placement {
  /** A prop naming the zone(s) directly. */
  readonly zones?: string;
  /** A prop whose value came from the subnets the resource is placed in. */
  readonly subnetsVia?: string;
}

/** Resources placed in one zone each. */
export const singleZoneTypes: Readonly<Record<string, Placement>> = {
  [subnetType]: { zones: "availabilityZone" },
  "aws:ec2/natGateway:NatGateway": { subnetsVia: "subnetId" },
  "aws:eks/nodeGroup:NodeGroup": { subnetsVia: "subnetIds" },
  "aws:rds/clusterInstance:ClusterInstance": { zones: "availabilityZone" },
};

/** Resources spread over several zones, which must be exactly the stack's zones, evenly. */
export const multiZoneTypes: Readonly<Record<string, Placement>> = {
  "aws:eks/cluster:Cluster": { subnetsVia: "vpcConfig" },
  "aws:msk/cluster:Cluster": { subnetsVia: "brokerNodeGroupInfo" },
  "aws:opensearch/domain:Domain": { subnetsVia: "vpcOptions" },
  "aws:elasticache/replicationGroup:ReplicationGroup": { zones: "preferredCacheClusterAzs" },
  "aws:rds/cluster:Cluster": { zones: "availabilityZones" },
  "aws:rds/subnetGroup:SubnetGroup": { subnetsVia: "subnetIds" },
  "aws:elasticache/subnetGroup:SubnetGroup": { subnetsVia: "subnetIds" },
  "aws:lb/loadBalancer:LoadBalancer": { subnetsVia: "subnets" },
};

/** The zones a resource occupies, with repeats (one entry per subnet or node), sorted. */
export function zonesOf(resource: PolicyResource): string[] | undefined {
  const rule = singleZoneTypes[resource.type] ?? multiZoneTypes[resource.type];
  if (!rule) return undefined;
  if (rule.zones)
    return asArray(resource.props[rule.zones] as string | string[])
      .map(String)
      .sort();
  return dependenciesOf(resource, rule.subnetsVia!, subnetType)
    .map((subnet) => String(subnet.props["availabilityZone"]))
    .sort();
}

/** How many times each zone occurs. */
export function countByZone(zones: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const zone of zones) counts.set(zone, (counts.get(zone) ?? 0) + 1);
  return counts;
}

/** The stack's zones: every zone a subnet is in. */
export const stackZones = (resources: readonly PolicyResource[]) =>
  [
    ...new Set(
      resources.filter((r) => r.type === subnetType).map((s) => String(s.props["availabilityZone"])),
    ),
  ].sort();
