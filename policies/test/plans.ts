/**
 * The real prod and staging plans for policy tests, completed with fixtures for what the
 * program does not declare yet (workloads, alerting), and ways to break them one change at
 * a time.
 */
import program from "../../infra/index.js";
import type { Plan, PlannedResource } from "../../scripts/plan/plan-types.js";
import { planStack } from "../../scripts/plan/run.js";
import { grafanaTypes } from "../lib/grafana-alerts.js";
import { alerting, defaultDeny, type Mutable, microservice } from "./fixtures.js";

export const planOfStack = (stack: string) => planStack(stack, program);

const kindOf = (r: PlannedResource) => (r.inputs as { kind?: string }).kind;
export const declaresWorkloads = (plan: Plan) => plan.resources.some((r) => kindOf(r) === "Rollout");
export const declaresAlerting = (plan: Plan) =>
  plan.resources.some((r) => grafanaTypes.ruleGroup.includes(r.type));

/** The plan, plus fixture workloads and alerting where the program declares none yet. */
export function completed(plan: Plan, publicServices: readonly string[]): Plan {
  const extra = [
    ...(declaresWorkloads(plan) ? [] : [...publicServices.flatMap((s) => microservice(s)), defaultDeny()]),
    ...(declaresAlerting(plan) ? [] : alerting(publicServices)),
  ];
  return { ...plan, resources: [...plan.resources, ...extra] };
}

/** A copy of the plan with the first resource matching `where` changed (it must exist). */
export function changeFirst(
  plan: Plan,
  where: (r: PlannedResource) => boolean,
  change: (r: Mutable<PlannedResource>) => void,
) {
  const at = plan.resources.findIndex(where);
  if (at < 0) throw new Error("no resource to change");
  const copy: Mutable<PlannedResource> = structuredClone(plan.resources[at]!);
  change(copy);
  return { plan: { ...plan, resources: plan.resources.map((r, i) => (i === at ? copy : r)) }, urn: copy.urn };
}

/** A copy of the plan without the resources matching `where`. */
export const without = (plan: Plan, where: (r: PlannedResource) => boolean) => ({
  ...plan,
  resources: plan.resources.filter((r) => !where(r)),
});

export const ofType = (type: string) => (r: PlannedResource) => r.type === type;
export const ofKind = (kind: string) => (r: PlannedResource) =>
  r.type.startsWith("kubernetes:") && kindOf(r) === kind;

interface PodSpec {
  containers: Record<string, unknown>[];
  [key: string]: unknown;
}
/** The pod spec inside a workload's inputs. */
export const podSpecOf = (r: PlannedResource) =>
  (r.inputs as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
