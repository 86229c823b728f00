import type { Tags } from "../components/shared/tags.js";
import type { PlatformSpec } from "./schema.js";

/** The prefix every physical name of a stack starts with, e.g. `platform-prod`. */
export const namePrefix = (spec: PlatformSpec) => `platform-${spec.environment}`;

/** The EKS cluster's name; the network tags its subnets for it before it exists. */
export const clusterName = (spec: PlatformSpec) => namePrefix(spec);

/** The namespace every service runs in. */
export const workloadNamespace = "platform";

/** Tags on every AWS resource: who owns it, who pays, and what manages it. */
export function commonTags(spec: PlatformSpec): Tags {
  return {
    owner: spec.tags.owner,
    "cost-center": spec.tags.costCenter,
    environment: spec.environment,
    "managed-by": "pulumi",
    "pulumi-project": "platform",
  };
}
