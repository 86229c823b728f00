/**
 * Paging: every public service has a Grafana alert on its p99 latency (200 ms over 5 minutes
 * by default) and multiwindow burn-rate alerts on its availability and latency SLOs (every
 * window pair the platform uses), all reaching PagerDuty. The public services come from the
 * service registry and the window pairs from the alerting component, passed in by the pack
 * (and overridable in the policy config).
 */
import type { StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
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
  burnRateWindows: WindowPair[];
}

/** A Prometheus duration such as "5m" or "1m30s". */
const duration = "^([0-9]+(ms|s|m|h|d))+$";

/** Does a PromQL expression compute the p99 of `metric` for `service` (by matcher or `by (service)`)? */
export function coversService(expr: string, service: string, config: LatencyConfig): boolean {
  if (!/histogram_quantile\(\s*0?\.99\s*,/.test(expr) || !expr.includes(`${config.metric}_bucket`))
    return false;
  return admitsService(expr, service, config);
}

/** Do the expression's matchers on the service label admit `service`, and name it (or group by it)? */
function admitsService(expr: string, service: string, config: LatencyConfig): boolean {
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

/** The SLOs whose burn rates every public service is watched on. */
const slos = ["availability", "latency"] as const;
export type Slo = (typeof slos)[number];

/** A long and a short range of a multiwindow burn-rate alert, e.g. ["1h", "5m"]. */
export type WindowPair = readonly [long: string, short: string];

/**
 * Does an expression watch the burn rate of `service`'s `slo` over both ranges of a window
 * pair: its failed requests (`outcome="error"` on `<metric>_count`), or its slow ones (a
 * `le` bucket of `<metric>_bucket`, which a quantile never selects)?
 */
export function watchesBurnRate(
  expr: string,
  service: string,
  slo: Slo,
  [long, short]: WindowPair,
  config: LatencyConfig,
): boolean {
  const counted =
    slo === "availability"
      ? new RegExp(`${config.metric}_count\\{[^}]*\\boutcome\\s*=\\s*"error"`)
      : new RegExp(`${config.metric}_bucket\\{[^}]*\\ble\\s*=\\s*"[^"]+"`);
  const ranges = new Set([...expr.matchAll(/\[(\w+)\]/g)].map(([, range]) => durationSeconds(range)));
  return (
    counted.test(expr) &&
    ranges.has(durationSeconds(long)) &&
    ranges.has(durationSeconds(short)) &&
    admitsService(expr, service, config)
  );
}

/** A violation: what is missing or wrong, and the rule group it is about, if any. */
interface Gap {
  readonly message: string;
  readonly urn?: string;
}

/** The p99 page of one service: what keeps each rule that watches its p99 from paging, if every one falls short. */
function latencyPageGaps(service: string, args: StackValidationArgs, config: LatencyConfig): Gap[] {
  const pagers = pagerDutyContactPoints(args.resources);
  const watching = alertRulesOf(args.resources).filter(({ rule }) =>
    expressionsOf(rule).some((e) => coversService(e, service, config)),
  );
  const diagnoses = watching.map(({ group, rule }) => ({
    group,
    rule,
    gaps: shortfalls(rule, contactPointsFor(rule, args.resources), pagers, config),
  }));
  if (diagnoses.some((d) => d.gaps.length === 0)) return [];
  if (diagnoses.length === 0)
    return [
      {
        message: `${service}: no alert on histogram_quantile(0.99, ${config.metric}_bucket) for this service`,
      },
    ];
  return diagnoses.map((d) => ({
    message: `${service}: alert "${d.rule.name}" ${d.gaps.join("; ")}`,
    urn: d.group.urn,
  }));
}

/** The burn-rate alerts of one service: each SLO and window pair without a rule that reaches PagerDuty. */
function burnRateGaps(service: string, args: StackValidationArgs, config: LatencyConfig): Gap[] {
  const pagers = pagerDutyContactPoints(args.resources);
  const rules = alertRulesOf(args.resources);
  return slos.flatMap((slo) =>
    config.burnRateWindows.flatMap((pair) => {
      const watching = rules.filter(({ rule }) =>
        expressionsOf(rule).some((e) => watchesBurnRate(e, service, slo, pair, config)),
      );
      const paging = watching.filter(
        ({ rule }) => !rule.isPaused && contactPointsFor(rule, args.resources).some((c) => pagers.has(c)),
      );
      if (paging.length > 0) return [];
      const found = watching.map(({ rule }) => `"${rule.name}"`).join(", ");
      return [
        {
          message:
            `${service}: no ${slo} burn-rate alert over ${pair[0]} and ${pair[1]} that reaches PagerDuty` +
            (found ? ` (${found} is paused or routed elsewhere)` : ""),
        },
      ];
    }),
  );
}

/**
 * @param burnRateWindows the window pairs the platform's burn-rate alerts use
 *   (components/alerting/burn-rate.ts), passed in by the pack.
 */
export function publicServiceLatencyAlert(
  publicServices: readonly string[],
  burnRateWindows: readonly WindowPair[],
): StackValidationPolicy {
  return {
    name: "public-service-latency-alert",
    description:
      "Every public service has a p99 latency alert (<= 200 ms over <= 5 min) and multiwindow burn-rate " +
      "alerts on its availability and latency SLOs, routed to PagerDuty.",
    enforcementLevel: "mandatory",
    configSchema: {
      properties: {
        publicServices: { type: "array", items: { type: "string" }, default: [...publicServices] },
        serviceLabel: { type: "string", default: "service" },
        metric: { type: "string", default: "platform_request_duration_seconds" },
        maxThresholdSeconds: { type: "number", exclusiveMinimum: 0, default: 0.2 },
        maxFor: { type: "string", pattern: duration, default: "5m" },
        burnRateWindows: {
          type: "array",
          items: { type: "array", items: { type: "string", pattern: duration }, minItems: 2, maxItems: 2 },
          default: burnRateWindows.map((pair) => [...pair]),
        },
      },
    },
    validateStack: (args, report) => {
      const config = args.getConfig<LatencyConfig>();
      if (config.publicServices.length === 0) args.notApplicable("no public services");
      for (const service of config.publicServices)
        for (const gap of [...latencyPageGaps(service, args, config), ...burnRateGaps(service, args, config)])
          report(gap.message, gap.urn);
    },
  };
}
