/**
 * The PromQL behind rollout analysis and autoscaling, as pure functions of label values,
 * built from the telemetry contract's metric names. The AnalysisTemplate passes Argo
 * placeholders (`{{args.service}}`); the alerting side can pass a service name and put the
 * very same expressions into a Prometheus rules file for `promtool test rules`.
 *
 * The `version` label of request metrics carries the pod's rollout revision (the
 * `rollouts-pod-template-hash` Argo Rollouts puts on every pod, handed to the process as
 * `SERVICE_REVISION`), so a canary is judged on its own requests only, even when a release
 * changes configuration but not the image.
 */
import { latencyObjective, metricNames } from "../../contracts/telemetry-schema.js";

/** Which series a query reads: one service, optionally one revision of it. */
export interface SeriesSelector {
  readonly service: string;
  /** The rollout revision (pod template hash); all revisions when omitted. */
  readonly version?: string;
}

/** The rate window of analysis queries: four scrapes at a 30 s interval. */
export const analysisWindow = "2m";

/** What a canary must keep to be promoted. */
export const analysisThresholds = {
  /** Share of requests with outcome "ok". */
  minSuccessRate: 0.99,
  /** The p99 latency objective of the platform, in seconds. */
  maxP99Seconds: latencyObjective.p99Seconds,
} as const;

const duration = metricNames.requestDuration.prometheus;

/** A label matcher list, e.g. `service="catalog",version="5d8f"`. */
export function matchers(selector: SeriesSelector, extra: Readonly<Record<string, string>> = {}): string {
  const labels: Record<string, string> = { service: selector.service };
  if (selector.version !== undefined) labels["version"] = selector.version;
  Object.assign(labels, extra);
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
}

/** Share of requests that succeeded over `window` (NaN without traffic). */
export function successRateQuery(selector: SeriesSelector, window = analysisWindow): string {
  return (
    `sum(rate(${duration}_count{${matchers(selector, { outcome: "ok" })}}[${window}]))` +
    ` / sum(rate(${duration}_count{${matchers(selector)}}[${window}]))`
  );
}

/** The 99th percentile request duration in seconds over `window`. */
export function p99LatencyQuery(selector: SeriesSelector, window = analysisWindow): string {
  return `histogram_quantile(0.99, sum by (le) (rate(${duration}_bucket{${matchers(selector)}}[${window}])))`;
}

/**
 * Requests in flight summed over a service's pods. KEDA's `AverageValue` divides it by the
 * replica count, so the threshold it is compared with is a per-pod average.
 */
export function queueDepthQuery(service: string): string {
  return `sum(${metricNames.queueDepth.prometheus}{${matchers({ service })}})`;
}

/** Events not yet handled by a consumer, summed over its topics (per-pod through `AverageValue`). */
export function consumerLagQuery(service: string): string {
  return `sum(${metricNames.consumerLag.prometheus}{${matchers({ service })}})`;
}

/**
 * Argo Rollouts conditions on a query's `result`: with no data (no traffic, or NaN) neither
 * holds, the measurement is Inconclusive and the rollout pauses for a person instead of
 * promoting or aborting on nothing.
 */
export const analysisConditions = {
  successRate: {
    success: `len(result) > 0 && result[0] >= ${analysisThresholds.minSuccessRate}`,
    failure: `len(result) > 0 && result[0] < ${analysisThresholds.minSuccessRate}`,
  },
  p99Latency: {
    success: `len(result) > 0 && result[0] < ${analysisThresholds.maxP99Seconds}`,
    failure: `len(result) > 0 && result[0] >= ${analysisThresholds.maxP99Seconds}`,
  },
} as const;
