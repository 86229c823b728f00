/**
 * The platform's policy pack as data: every rule, in one list. `index.ts` serves it to the
 * Pulumi CLI; `npm run policy` and the tests run the very same list over offline plans.
 */
import type { Policies } from "@pulumi/policy";
import { burnWindows } from "../components/alerting/burn-rate.js";
import { loadServiceRegistry } from "../services/registry.js";
import { publicServiceLatencyAlert, type WindowPair } from "./rules/alerting.js";
import { monthlyCost } from "./rules/cost.js";
import { dataDurabilityPolicies } from "./rules/data-durability.js";
import { dataStorePolicies } from "./rules/data-stores.js";
import { edgePolicies } from "./rules/edge.js";
import { eksPolicies } from "./rules/eks.js";
import { secretPolicies } from "./rules/secrets.js";
import { tagPolicies } from "./rules/tags.js";
import { workloadCompanionPolicies } from "./rules/workload-companions.js";
import { workloadPolicies } from "./rules/workloads.js";
import { zonePolicies } from "./rules/zones.js";

export const packName = "platform-policies";

/** Facts the rules take from the rest of the repository rather than repeat. */
export interface PlatformFacts {
  /** Services that serve the public API (`public: true` in their service.ts). */
  readonly publicServices: readonly string[];
  /** The long and short windows of the platform's SLO burn-rate alerts. */
  readonly burnRateWindows: readonly WindowPair[];
}

export function platformPolicies(facts: PlatformFacts): Policies {
  return [
    ...zonePolicies,
    ...dataStorePolicies,
    ...dataDurabilityPolicies,
    ...eksPolicies,
    ...workloadPolicies,
    ...workloadCompanionPolicies,
    ...edgePolicies,
    publicServiceLatencyAlert(facts.publicServices, facts.burnRateWindows),
    ...secretPolicies,
    ...tagPolicies,
    monthlyCost,
  ];
}

/** The facts, read from the service registry (services/<name>/service.ts) and the alerting component. */
export async function registryFacts(): Promise<PlatformFacts> {
  const services = await loadServiceRegistry();
  return {
    publicServices: services.filter((s) => s.public).map((s) => s.name),
    burnRateWindows: burnWindows.map((w) => [w.long, w.short] as const),
  };
}
