/**
 * Paging: every public service has a Grafana alert on its p99 latency (200 ms over 5 minutes
 * by default) that reaches PagerDuty. The public services come from the service registry,
 * passed in by the pack (and overridable in the policy config).
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import {
  type AlertRule,
  alertRulesOf,
  contactPointsFor,
  durationSeconds,
  expressionsOf,
  pagerDutyContactPoints,
  thresholdOf,
} from "../lib/grafana-alerts.js";

interface LatencyConfig {
  publicServices: string[];
  serviceLabel: string;
  metric: string;
  maxThresholdSeconds: number;
  maxFor: string;
}

/** Does a PromQL expression compute the p99 of `metric` for `service` (by matcher or `by (service)`)? */
export function coversService(expr: string, service: string, config: LatencyConfig): boolean {
  if (!/histogram_quantile\(\s*0?\.99\s*,/.test(expr) || !expr.includes(`${config.metric}_bucket`))
    return false;
  const matchers = [
    ...expr.matchAll(new RegExp(`\\b${config.serviceLabel}\\s*(=~|!~|!=|=)\\s*"([^"]*)"`, "g")),
  ];
  const admits = matchers.every(([, op, value]) => {
    const full = new RegExp(`^(?:${value})$`);
    return op === "="
      ? service === value
      : op === "!="
        ? service !== value
        : op === "=~"
          ? full.test(service)
          : !full.test(service);
  });
  const perService = new RegExp(`by\\s*\\([^)]*\\b${config.serviceLabel}\\b`).test(expr);
  return admits && (matchers.some(([, op]) => op === "=" || op === "=~") || perService);
}

/** Why a rule that watches the service's p99 would not page in time, if it would not. */
function shortfalls(rule: AlertRule, routes: string[], pagers: Set<string>, config: LatencyConfig): string[] {
  const threshold = thresholdOf(rule);
  return [
    ...(rule.isPaused ? ["is paused"] : []),
    ...(threshold === undefined || Number.isNaN(threshold) || threshold > config.maxThresholdSeconds
      ? [
          `fires above ${threshold ?? "an unreadable threshold"} s, not at most ${config.maxThresholdSeconds} s`,
        ]
      : []),
    ...(durationSeconds(rule.for) > durationSeconds(config.maxFor)
      ? [`waits ${rule.for}, longer than ${config.maxFor}`]
      : []),
    ...(routes.some((r) => pagers.has(r))
      ? []
      : [`routes to ${routes.join(", ") || "no contact point"}, not PagerDuty`]),
  ];
}

export function publicServiceLatencyAlert(publicServices: readonly string[]): StackValidationPolicy {
  return {
    name: "public-service-latency-alert",
    description:
      "Every public service has a p99 latency alert (<= 200 ms over <= 5 min) routed to PagerDuty.",
    enforcementLevel: "mandatory",
    configSchema: {
      properties: {
        publicServices: { type: "array", items: { type: "string" }, default: [...publicServices] },
        serviceLabel: { type: "string", default: "service" },
        metric: { type: "string", default: "platform_request_duration_seconds" },
        maxThresholdSeconds: { type: "number", exclusiveMinimum: 0, default: 0.2 },
        maxFor: { type: "string", pattern: "^([0-9]+(ms|s|m|h))+$", default: "5m" },
      },
    },
    validateStack: (args, report) => {
      const config = args.getConfig<LatencyConfig>();
      if (config.publicServices.length === 0) args.notApplicable("no public services");
      const rules = alertRulesOf(args.resources);
      const pagers = pagerDutyContactPoints(args.resources);
      for (const service of config.publicServices) {
        const watching = rules.filter(({ rule }) =>
          expressionsOf(rule).some((e) => coversService(e, service, config)),
        );
        const diagnoses = watching.map(({ group, rule }) => ({
          group,
          rule,
          gaps: shortfalls(rule, contactPointsFor(rule, args.resources), pagers, config),
        }));
        if (diagnoses.some((d) => d.gaps.length === 0)) continue;
        if (diagnoses.length === 0) {
          report(
            `${service}: no alert on histogram_quantile(0.99, ${config.metric}_bucket) for this service`,
          );
        }
        for (const d of diagnoses)
          report(`${service}: alert "${d.rule.name}" ${d.gaps.join("; ")}`, d.group.urn);
      }
    },
  };
}
