import type { Plan, PlannedResource } from "./plan-types.js";

const subnetType = "aws:ec2/subnet:Subnet";

/**
 * Zonal resources and the input that places them: a zone name directly, or the
 * subnets (followed through property dependencies) they are attached to.
 */
const placement: Record<string, { zones?: string; subnetsVia?: string }> = {
  [subnetType]: { zones: "availabilityZone" },
  "aws:rds/clusterInstance:ClusterInstance": { zones: "availabilityZone" },
  "aws:elasticache/replicationGroup:ReplicationGroup": { zones: "preferredCacheClusterAzs" },
  "aws:ec2/natGateway:NatGateway": { subnetsVia: "subnetId" },
  "aws:eks/nodeGroup:NodeGroup": { subnetsVia: "subnetIds" },
  "aws:eks/cluster:Cluster": { subnetsVia: "vpcConfig" },
  "aws:msk/cluster:Cluster": { subnetsVia: "brokerNodeGroupInfo" },
  "aws:opensearch/domain:Domain": { subnetsVia: "vpcOptions" },
  "aws:rds/subnetGroup:SubnetGroup": { subnetsVia: "subnetIds" },
  "aws:elasticache/subnetGroup:SubnetGroup": { subnetsVia: "subnetIds" },
  "aws:lb/loadBalancer:LoadBalancer": { subnetsVia: "subnets" },
};

/** Lookups over a plan: by type, by URN, and along property dependencies. */
export class PlanIndex {
  readonly #byUrn: Map<string, PlannedResource>;

  constructor(readonly plan: Plan) {
    this.#byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  }

  ofType(type: string): PlannedResource[] {
    return this.plan.resources.filter((r) => r.type === type);
  }

  get(urn: string): PlannedResource | undefined {
    return this.#byUrn.get(urn);
  }

  /** The resources an input property's value came from, optionally of one type. */
  dependencies(resource: PlannedResource, property: string, type?: string): PlannedResource[] {
    return (resource.dependencies[property] ?? [])
      .map((urn) => this.#byUrn.get(urn))
      .filter((r): r is PlannedResource => !!r && (!type || r.type === type));
  }

  /** Types whose placement in zones the index knows. */
  static readonly zonalTypes: readonly string[] = Object.keys(placement);

  /** The availability zones a zonal resource occupies (sorted, with repeats), or undefined if not zonal. */
  zonesOf(resource: PlannedResource): string[] | undefined {
    const rule = placement[resource.type];
    if (!rule) return undefined;
    if (rule.zones) {
      const value = resource.inputs[rule.zones];
      return (Array.isArray(value) ? value : [value]).map(String).sort();
    }
    return this.dependencies(resource, rule.subnetsVia!, subnetType)
      .map((subnet) => String(subnet.inputs["availabilityZone"]))
      .sort();
  }
}
