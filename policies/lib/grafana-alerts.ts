/**
 * Grafana-managed alert rules as `@pulumiverse/grafana` declares them: the rules of each
 * rule group, the query and threshold each evaluates, and where the notification policy
 * tree routes it. Only what the latency-alert rule needs.
 */
import type { PolicyResource } from "@pulumi/policy";
import { asArray } from "./policy-kit.js";

export const grafanaTypes = {
  ruleGroup: ["grafana:alerting/ruleGroup:RuleGroup", "grafana:index/ruleGroup:RuleGroup"],
  contactPoint: ["grafana:alerting/contactPoint:ContactPoint", "grafana:index/contactPoint:ContactPoint"],
  notificationPolicy: [
    "grafana:alerting/notificationPolicy:NotificationPolicy",
    "grafana:index/notificationPolicy:NotificationPolicy",
  ],
};

interface RuleData {
  refId?: string;
  model?: string;
}
export interface AlertRule {
  name?: string;
  for?: string;
  condition?: string;
  isPaused?: boolean;
  datas?: RuleData[];
  labels?: Record<string, string>;
  notificationSettings?: { contactPoint?: string };
}
interface Matcher {
  label?: string;
  match?: string;
  value?: string;
}
interface Route {
  contactPoint?: string;
  continue?: boolean;
  matchers?: Matcher[];
  policies?: Route[];
}

const ofTypes = (resources: readonly PolicyResource[], types: readonly string[]) =>
  resources.filter((r) => types.includes(r.type));

export const alertRulesOf = (resources: readonly PolicyResource[]) =>
  ofTypes(resources, grafanaTypes.ruleGroup).flatMap((group) =>
    asArray(group.props["rules"] as AlertRule[]).map((rule) => ({ group, rule })),
  );

const parseModel = (data: RuleData): Record<string, unknown> => {
  try {
    return JSON.parse(data.model ?? "{}") as Record<string, unknown>;
  } catch {
    return {};
  }
};

/** The PromQL expressions the rule queries. */
export const expressionsOf = (rule: AlertRule) =>
  asArray(rule.datas).flatMap((d) => {
    const expr = parseModel(d)["expr"];
    return typeof expr === "string" ? [expr] : [];
  });

const comparison = (text: unknown) => {
  const found = /(?:>|>=)\s*([0-9]*\.?[0-9]+)\s*$/.exec(String(text ?? ""))?.[1];
  return found === undefined ? undefined : Number(found);
};

/**
 * The value the rule fires above, in the query's unit, if it can be read: following the
 * condition back through Grafana's expression stages (threshold, math, reduce) to the
 * PromQL. A threshold on a query that itself compares (`... > 0.2`, which returns series
 * only above 0.2) fires above the higher of the two.
 */
export function thresholdOf(rule: AlertRule): number | undefined {
  const datas = asArray(rule.datas);
  const byRef = new Map(datas.map((d) => [d.refId, parseModel(d)]));
  const bounds: number[] = [];
  let model = byRef.get(rule.condition ?? "") ?? (datas.length ? parseModel(datas.at(-1)!) : undefined);
  for (let hops = 0; model && hops <= datas.length; hops++) {
    if (typeof model["expr"] === "string") {
      const bound = comparison(model["expr"]);
      if (bound !== undefined) bounds.push(bound);
      break;
    }
    let next: unknown = model["expression"];
    if (model["type"] === "math") {
      const bound = comparison(next);
      if (bound === undefined) return undefined;
      bounds.push(bound);
      next = /\$\{?(\w+)/.exec(String(next))?.[1];
    } else if (model["type"] === "threshold" || model["type"] === "classic_conditions") {
      const conditions = asArray(
        model["conditions"] as { evaluator?: { type?: string; params?: number[] } }[],
      );
      const evaluator = conditions[0]?.evaluator;
      if (!evaluator || !["gt", "gte"].includes(evaluator.type ?? "") || evaluator.params?.[0] === undefined)
        return undefined;
      bounds.push(evaluator.params[0]);
    }
    model = byRef.get(String(next));
  }
  return bounds.length > 0 ? Math.max(...bounds) : undefined;
}

/** Seconds in a Go/Prometheus duration such as "5m", "1m30s" or "300s". */
export function durationSeconds(text: string | undefined): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  return [...(text ?? "0s").matchAll(/([0-9.]+)(ms|s|m|h|d)/g)].reduce(
    (sum, [, n, u]) => sum + Number(n) * units[u!]!,
    0,
  );
}

function matches(m: Matcher, labels: Record<string, string>): boolean {
  const value = labels[m.label ?? ""] ?? "";
  const pattern = new RegExp(`^(?:${m.value ?? ""})$`);
  if (m.match === "=") return value === m.value;
  if (m.match === "!=") return value !== m.value;
  if (m.match === "=~") return pattern.test(value);
  return !pattern.test(value);
}

/** Every contact point a notification with `labels` reaches through the policy tree. */
function routeThrough(route: Route, labels: Record<string, string>, inherited?: string): string[] {
  const here = route.contactPoint ?? inherited;
  const reached: string[] = [];
  for (const child of route.policies ?? []) {
    if (!asArray(child.matchers).every((m) => matches(m, labels))) continue;
    reached.push(...routeThrough(child, labels, here));
    if (!child.continue) return reached;
  }
  return reached.length > 0 ? reached : here ? [here] : [];
}

/** The contact points a rule notifies: its own notification settings, else the policy tree. */
export function contactPointsFor(rule: AlertRule, resources: readonly PolicyResource[]): string[] {
  if (rule.notificationSettings?.contactPoint) return [rule.notificationSettings.contactPoint];
  const labels = { ...(rule.labels ?? {}), alertname: rule.name ?? "" };
  return ofTypes(resources, grafanaTypes.notificationPolicy).flatMap((p) =>
    routeThrough(p.props as Route, labels),
  );
}

/** Names of the contact points that page through PagerDuty. */
export const pagerDutyContactPoints = (resources: readonly PolicyResource[]) =>
  new Set(
    ofTypes(resources, grafanaTypes.contactPoint)
      .filter((c) => asArray(c.props["pagerduties"] as unknown[]).length > 0)
      .map((c) => String(c.props["name"] ?? c.name)),
  );
