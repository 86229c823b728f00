/**
 * Multiwindow, multi-burn-rate alerts on each service's SLOs (the Google SRE workbook,
 * "Alerting on SLOs"). The burn rate is how fast the error budget (1 - objective) is being
 * spent: 1x spends exactly the budget over the SLO window. Each rule fires while the error
 * ratio is above `factor x budget` over a long window (enough budget is really gone) and
 * over a short window (it is still going on, so the alert resets minutes after recovery
 * instead of an hour later). Two SLOs per service, from its registry entry: availability
 * (requests with outcome "error") and latency (requests slower than the threshold, any
 * outcome). The metric is the telemetry contract's request histogram.
 */

import { metricNames } from "../../contracts/telemetry-schema.js";
import type { RegisteredService } from "../../services/registry.js";
import { matchers } from "../microservice/analysis-queries.js";
import type { AlertRule, Severity } from "./alert-rules.js";

export const burnRateKinds = ["availability-burn", "latency-burn"] as const;
export type BurnRateKind = (typeof burnRateKinds)[number];

export interface BurnWindow {
  /** critical pages; warning opens a ticket (a low-urgency PagerDuty incident). */
  readonly severity: Severity;
  /** The window that says how much budget is gone, e.g. "1h". */
  readonly long: string;
  /** The window that says it is still going on, e.g. "5m" (1/12 of the long one). */
  readonly short: string;
  /** The share of the whole budget spent over the long window that alerts. */
  readonly budgetSpent: number;
}

/**
 * The workbook's recommendation: page when 2% of the budget went in an hour or 5% in six
 * hours, open a ticket when 10% went in three days. On a 30-day SLO these are burn rates of
 * 14.4x, 6x and 1x (`burnFactor`).
 */
export const burnWindows: readonly BurnWindow[] = [
  { severity: "critical", long: "1h", short: "5m", budgetSpent: 0.02 },
  { severity: "critical", long: "6h", short: "30m", budgetSpent: 0.05 },
  { severity: "warning", long: "3d", short: "6h", budgetSpent: 0.1 },
];

const hoursOf = (duration: string) => {
  const [, n, unit] = /^(\d+)([mhd])$/.exec(duration)!;
  return Number(n) * { m: 1 / 60, h: 1, d: 24 }[unit as "m" | "h" | "d"];
};

/** Twelve significant digits: 14.4, not 14.399999999999999, in PromQL and summaries. */
const tidy = (n: number) => Number(n.toPrecision(12));

/** The burn rate a window alerts at: its budget share, spread over its part of the SLO window. */
export const burnFactor = (window: BurnWindow, sloDays: number) =>
  tidy((window.budgetSpent * sloDays * 24) / hoursOf(window.long));

const duration = metricNames.requestDuration.prometheus;

/** The share of the service's requests over `range` that miss the SLO (NaN without traffic). */
export function errorRatioQuery(kind: BurnRateKind, service: RegisteredService, range: string): string {
  const all = `sum(rate(${duration}_count{${matchers({ service: service.name })}}[${range}]))`;
  if (kind === "availability-burn")
    return `sum(rate(${duration}_count{${matchers({ service: service.name }, { outcome: "error" })}}[${range}])) / ${all}`;
  const le = String(service.slo.latency.thresholdSeconds);
  return `1 - sum(rate(${duration}_bucket{${matchers({ service: service.name }, { le })}}[${range}])) / ${all}`;
}

const objectiveOf = (kind: BurnRateKind, service: RegisteredService) =>
  kind === "availability-burn" ? service.slo.availability : service.slo.latency.target;

/** The error ratio a window pair alerts above: its burn rate times the error budget. */
export const burnThreshold = (kind: BurnRateKind, service: RegisteredService, window: BurnWindow) =>
  tidy(burnFactor(window, service.slo.windowDays) * (1 - objectiveOf(kind, service)));

/** Both windows of a pair above the burn rate: the PromQL of one window pair. */
function windowPairExpression(kind: BurnRateKind, service: RegisteredService, window: BurnWindow) {
  const threshold = burnThreshold(kind, service, window);
  const above = (range: string) => `(${errorRatioQuery(kind, service, range)}) > ${threshold}`;
  return `(${above(window.long)} and ${above(window.short)})`;
}

const percent = (share: number) => `${tidy(share * 100)}%`;

function objectiveText(kind: BurnRateKind, service: RegisteredService): string {
  const { slo } = service;
  return kind === "availability-burn"
    ? `${percent(slo.availability)} of requests succeed`
    : `${percent(slo.latency.target)} of requests within ${slo.latency.thresholdSeconds * 1000} ms`;
}

const titles: Record<BurnRateKind, string> = {
  "availability-burn": "AvailabilityBudgetBurn",
  "latency-burn": "LatencyBudgetBurn",
};

/**
 * A service's burn-rate alerts: per SLO one page (either page window pair) and one ticket,
 * each a single rule so one incident stands for one broken objective. They fire without a
 * hold: the short window is the debounce.
 */
export function burnRateAlerts(service: RegisteredService): AlertRule[] {
  return burnRateKinds.flatMap((kind) =>
    (["critical", "warning"] as const).map((severity) => {
      const windows = burnWindows.filter((w) => w.severity === severity);
      const how = windows
        .map((w) => `${burnFactor(w, service.slo.windowDays)}x over ${w.long} and ${w.short}`)
        .join(", or ");
      const role = severity === "critical" ? "page" : "ticket";
      return {
        uid: `${service.name}-${kind}-${role}`,
        name: `${titles[kind]} ${service.name} (${role})`,
        kind,
        service: service.name,
        expr: windows.map((w) => windowPairExpression(kind, service, w)).join(" or "),
        for: "0s",
        severity,
        summary:
          `${service.name}: spending the error budget of "${objectiveText(kind, service)}" ` +
          `(${service.slo.windowDays} days) at ${how}`,
      };
    }),
  );
}
