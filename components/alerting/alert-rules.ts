/**
 * The platform's alerts, derived from the service registry: which alert each service gets,
 * its PromQL, how long it must hold, how loud it is, and where its runbook lives. Grafana's
 * rule group and the Prometheus rules file that `promtool test rules` checks are both
 * generated from these objects, so the expressions tested are the expressions deployed.
 */

import { latencyObjective, metricNames } from "../../contracts/telemetry-schema.js";
import type { RegisteredService } from "../../services/registry.js";
import { workloadNamespace } from "../../stacks/naming.js";
import { matchers, p99LatencyQuery, successRateQuery } from "../microservice/analysis-queries.js";
import { burnRateAlerts, burnRateKinds } from "./burn-rate.js";

/** Alerts on one expression crossing a threshold for a while. */
export const thresholdKinds = [
  "api-latency",
  "error-rate",
  "consumer-lag",
  "outbox-backlog",
  "crash-looping",
] as const;
export type ThresholdKind = (typeof thresholdKinds)[number];
/** Every kind: the threshold alerts and the SLO burn-rate alerts (burn-rate.ts). */
export const alertKinds = [...thresholdKinds, ...burnRateKinds] as const;
export type AlertKind = (typeof alertKinds)[number];

/** critical pages on-call at once; warning opens a low-urgency PagerDuty incident. */
export type Severity = "critical" | "warning";

export interface AlertRule {
  /** Stable and unique (Grafana's rule uid), e.g. "gateway-api-latency". */
  readonly uid: string;
  /** The alert's name as people see it, e.g. "ApiLatencyP99High gateway". */
  readonly name: string;
  readonly kind: AlertKind;
  readonly service: string;
  /** PromQL that returns series exactly while the condition is breached. */
  readonly expr: string;
  /** How long the condition must hold before the alert fires, e.g. "5m". */
  readonly for: string;
  readonly severity: Severity;
  /** One line for the page. */
  readonly summary: string;
}

/** Thresholds beside the latency objective, which comes from the telemetry contract. */
export const alertThresholds = {
  /** Share of requests that failed, over 5 minutes. */
  errorRatio: 0.05,
  /** Events a consumer group has not handled yet, summed over its topics. */
  consumerLag: 1000,
  /** Outbox events written but not yet published. */
  outboxBacklog: 100,
  /** Container restarts within 15 minutes. */
  restarts: 3,
} as const;

/** The rate window of alert queries: five one-minute metric exports. */
export const alertWindow = "5m";

const titles: Record<ThresholdKind, string> = {
  "api-latency": "ApiLatencyP99High",
  "error-rate": "ErrorRateHigh",
  "consumer-lag": "ConsumerLagHigh",
  "outbox-backlog": "OutboxBacklogHigh",
  "crash-looping": "PodCrashLooping",
};

/** The runbook page of an alert kind, under docs/runbooks/. */
export const runbookFile = (kind: AlertKind) => `${kind}.md`;

const podSeries = (metric: string, service: string, extra = "") =>
  `${metric}{namespace="${workloadNamespace}",container="${service}"${extra}}`;

/** The PromQL of one threshold alert for one service. */
export function alertExpression(kind: ThresholdKind, service: string): string {
  const selector = { service };
  switch (kind) {
    case "api-latency":
      return `${p99LatencyQuery(selector, alertWindow)} > ${latencyObjective.p99Seconds}`;
    case "error-rate":
      return `(1 - (${successRateQuery(selector, alertWindow)})) > ${alertThresholds.errorRatio}`;
    case "consumer-lag":
      return `sum(${metricNames.consumerLag.prometheus}{${matchers(selector)}}) > ${alertThresholds.consumerLag}`;
    case "outbox-backlog":
      return `sum(${metricNames.outboxBacklog.prometheus}{${matchers(selector)}}) > ${alertThresholds.outboxBacklog}`;
    case "crash-looping":
      return (
        `sum by (pod) (increase(${podSeries("kube_pod_container_status_restarts_total", service)}[15m])) > ${alertThresholds.restarts}` +
        ` or sum by (pod) (max_over_time(${podSeries("kube_pod_container_status_waiting_reason", service, ',reason="CrashLoopBackOff"')}[5m])) > 0`
      );
  }
}

const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;

const holdFor: Record<ThresholdKind, string> = {
  "api-latency": `${latencyObjective.forMinutes}m`,
  "error-rate": "5m",
  "consumer-lag": "10m",
  "outbox-backlog": "10m",
  "crash-looping": "5m",
};

function summary(kind: ThresholdKind, service: string): string {
  const held = `for ${Number.parseInt(holdFor[kind], 10)} minutes`;
  switch (kind) {
    case "api-latency":
      return `${service}: p99 request latency above ${latencyObjective.p99Seconds * 1000} ms ${held}`;
    case "error-rate":
      return `${service}: more than ${pct(alertThresholds.errorRatio)} of requests failing ${held}`;
    case "consumer-lag":
      return `${service}: more than ${alertThresholds.consumerLag} events waiting for its consumer group ${held}`;
    case "outbox-backlog":
      return `${service}: more than ${alertThresholds.outboxBacklog} outbox events unpublished ${held}`;
    case "crash-looping":
      return `${service}: a pod is crash-looping (over ${alertThresholds.restarts} restarts in 15 minutes, or in CrashLoopBackOff)`;
  }
}

/** The threshold kinds a service gets: what it serves, publishes and consumes decides. */
function alertKindsFor(service: RegisteredService): ThresholdKind[] {
  return thresholdKinds.filter((kind) => {
    if (kind === "api-latency") return service.public;
    if (kind === "consumer-lag") return service.consumedTopics.length > 0;
    if (kind === "outbox-backlog") return service.topic !== undefined;
    return true;
  });
}

/** Latency of public services and failing requests page; the rest opens low-urgency incidents. */
const severityOf = (kind: ThresholdKind): Severity =>
  kind === "api-latency" || kind === "error-rate" ? "critical" : "warning";

/** Every alert of every service, in registry order: its threshold alerts, then its SLOs' burn rates. */
export function alertRules(services: readonly RegisteredService[]): AlertRule[] {
  return services.flatMap((service) => [
    ...alertKindsFor(service).map((kind) => ({
      uid: `${service.name}-${kind}`,
      name: `${titles[kind]} ${service.name}`,
      kind,
      service: service.name,
      expr: alertExpression(kind, service.name),
      for: holdFor[kind],
      severity: severityOf(kind),
      summary: summary(kind, service.name),
    })),
    ...burnRateAlerts(service),
  ]);
}

export interface AlertLinks {
  /** Where people open Grafana, e.g. "https://grafana.example.com". */
  readonly grafanaUrl: string;
  /** The folder of the runbooks as a browsable URL, e.g. "https://github.com/acme/platform/blob/main/docs/runbooks". */
  readonly runbookBaseUrl: string;
  /** The uid of the dashboard alerts link to. */
  readonly dashboardUid: string;
}

/** Labels routing uses: severity decides the PagerDuty urgency, service groups pages. */
export const alertLabels = (rule: AlertRule) => ({
  severity: rule.severity,
  service: rule.service,
  team: "platform",
});

/** What every notification carries: a summary, the runbook, and the dashboard filtered to the service. */
export function alertAnnotations(rule: AlertRule, links: AlertLinks): Record<string, string> {
  const base = links.grafanaUrl.replace(/\/+$/, "");
  return {
    summary: rule.summary,
    runbook_url: `${links.runbookBaseUrl.replace(/\/+$/, "")}/${runbookFile(rule.kind)}`,
    dashboard_url: `${base}/d/${links.dashboardUid}?var-service=${rule.service}`,
  };
}
