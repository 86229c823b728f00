import { Network } from "../components/network/network.js";
import type { RegisteredService } from "../services/registry.js";
import { clusterName, commonTags, namePrefix } from "../stacks/naming.js";
import type { PlatformSpec } from "../stacks/schema.js";

/**
 * Wires the platform's components from the stack spec and the service registry, and
 * returns the stack outputs. Every decision lives in a component or the spec; this file
 * only connects them.
 */
export function declarePlatform(
  spec: PlatformSpec,
  _services: readonly RegisteredService[],
): Record<string, unknown> {
  const prefix = namePrefix(spec);
  const tags = commonTags(spec);

  const network = new Network(prefix, {
    region: spec.region,
    cidr: spec.network.cidr,
    zones: spec.network.zones,
    clusterName: clusterName(spec),
    flowLogRetentionDays: spec.network.flowLogRetentionDays,
    tags,
  });

  return {
    vpcId: network.vpc.id,
    privateSubnetIds: network.privateSubnetIds,
  };
}
