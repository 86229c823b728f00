/**
 * The `api-latency` Grafana dashboard as a JSON model: latency percentiles per service and
 * route against the 200 ms objective, errors, traffic, CPU saturation, queue depth, and
 * the breakdowns by zone and by version that show a bad zone or a bad canary. Every query
 * reads the metric names of the telemetry contract.
 */
import { latencyObjective, metricNames } from "../../contracts/telemetry-schema.js";
import { workloadNamespace } from "../../stacks/naming.js";
import type { AlertKind } from "./alert-rules.js";

export const dashboardUid = "api-latency";

const duration = metricNames.requestDuration.prometheus;
const filter = 'service=~"$service",route=~"$route"';
const rate = (metric: string, labels = filter) => `rate(${metric}{${labels}}[$__rate_interval])`;
const quantile = (q: number, by: string) =>
  `histogram_quantile(${q}, sum by (${by}, le) (${rate(`${duration}_bucket`)}))`;

export interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat: string;
}

export interface Panel {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly targets: readonly Target[];
  /** A red line at this value (the objective or an alert threshold). */
  readonly threshold?: number;
}

const target = (refId: string, expr: string, legendFormat: string): Target => ({ refId, expr, legendFormat });

/** The panels, in reading order; ids are stable because alerts link to them. */
export const panels: readonly Panel[] = [
  {
    id: 1,
    title: "Latency p50 / p95 / p99 by service and route",
    description: `Server-side request duration; the objective is p99 under ${latencyObjective.p99Seconds * 1000} ms.`,
    unit: "s",
    threshold: latencyObjective.p99Seconds,
    targets: [0.5, 0.95, 0.99].map((q, i) =>
      target(String.fromCharCode(65 + i), quantile(q, "service, route"), `{{service}} {{route}} p${q * 100}`),
    ),
  },
  {
    id: 2,
    title: "Error rate by service",
    description: 'Share of requests with outcome="error" (5xx or a server-side gRPC status).',
    unit: "percentunit",
    targets: [
      target(
        "A",
        `sum by (service) (${rate(`${duration}_count`, `${filter},outcome="error"`)}) / sum by (service) (${rate(`${duration}_count`)})`,
        "{{service}}",
      ),
    ],
  },
  {
    id: 3,
    title: "Request rate by service and route",
    description: "Requests per second.",
    unit: "reqps",
    targets: [target("A", `sum by (service, route) (${rate(`${duration}_count`)})`, "{{service}} {{route}}")],
  },
  {
    id: 4,
    title: "CPU saturation by service",
    description:
      "CPU used over CPU requested, from cAdvisor and kube-state-metrics; KEDA adds pods at the service's target.",
    unit: "percentunit",
    targets: [
      target(
        "A",
        `sum by (container) (rate(container_cpu_usage_seconds_total{namespace="${workloadNamespace}",container=~"$service"}[$__rate_interval]))` +
          ` / sum by (container) (kube_pod_container_resource_requests{namespace="${workloadNamespace}",container=~"$service",resource="cpu"})`,
        "{{container}}",
      ),
    ],
  },
  {
    id: 5,
    title: "Queue depth by service",
    description: "Requests in flight, summed over pods; KEDA scales on the per-pod average.",
    unit: "short",
    targets: [
      target(
        "A",
        `sum by (service) (${metricNames.queueDepth.prometheus}{service=~"$service"})`,
        "{{service}}",
      ),
    ],
  },
  {
    id: 6,
    title: "Latency p99 by zone",
    description: "One zone slower than the others points at that zone, not at the code.",
    unit: "s",
    threshold: latencyObjective.p99Seconds,
    targets: [target("A", quantile(0.99, "service, zone"), "{{service}} {{zone}}")],
  },
  {
    id: 7,
    title: "Latency p99 by version (canaries)",
    description: "During a rollout the canary's revision against the stable one.",
    unit: "s",
    threshold: latencyObjective.p99Seconds,
    targets: [target("A", quantile(0.99, "service, version"), "{{service}} {{version}}")],
  },
  {
    id: 8,
    title: "Error rate by version (canaries)",
    description: "During a rollout the canary's errors against the stable revision's.",
    unit: "percentunit",
    targets: [
      target(
        "A",
        `sum by (service, version) (${rate(`${duration}_count`, `${filter},outcome="error"`)}) / sum by (service, version) (${rate(`${duration}_count`)})`,
        "{{service}} {{version}}",
      ),
    ],
  },
  {
    id: 9,
    title: "Consumer lag and outbox backlog",
    description: "Events waiting for a consumer group, and outbox events not yet published to Kafka.",
    unit: "short",
    targets: [
      target(
        "A",
        `sum by (service) (${metricNames.consumerLag.prometheus}{service=~"$service"})`,
        "{{service}} lag",
      ),
      target(
        "B",
        `sum by (service) (${metricNames.outboxBacklog.prometheus}{service=~"$service"})`,
        "{{service}} outbox",
      ),
    ],
  },
  {
    id: 10,
    title: "Container restarts (15 min)",
    description: "Restarts per pod from kube-state-metrics; a crash loop shows as a staircase.",
    unit: "short",
    targets: [
      target(
        "A",
        `sum by (container, pod) (increase(kube_pod_container_status_restarts_total{namespace="${workloadNamespace}",container=~"$service"}[15m]))`,
        "{{pod}}",
      ),
    ],
  },
];

/** The panel each alert kind links to. */
export const panelOf: Record<AlertKind, number> = {
  "api-latency": 1,
  "error-rate": 2,
  "consumer-lag": 9,
  "outbox-backlog": 9,
  "crash-looping": 10,
  "availability-burn": 2,
  "latency-burn": 1,
};

/** Two panels a row, 12 columns wide, 8 high. */
function gridPos(index: number) {
  return { x: (index % 2) * 12, y: Math.floor(index / 2) * 8, w: 12, h: 8 };
}

function panelModel(panel: Panel, index: number, datasourceUid: string) {
  const datasource = { type: "prometheus", uid: datasourceUid };
  const steps: { color: string; value: number | null }[] = [{ color: "green", value: null }];
  if (panel.threshold !== undefined) steps.push({ color: "red", value: panel.threshold });
  return {
    id: panel.id,
    type: "timeseries",
    title: panel.title,
    description: panel.description,
    datasource,
    gridPos: gridPos(index),
    fieldConfig: {
      defaults: {
        unit: panel.unit,
        thresholds: { mode: "absolute", steps },
        custom: { thresholdsStyle: { mode: panel.threshold === undefined ? "off" : "line" } },
      },
      overrides: [],
    },
    options: { legend: { displayMode: "table", placement: "bottom", calcs: ["lastNotNull", "max"] } },
    targets: panel.targets.map((t) => ({ ...t, datasource })),
  };
}

/** A query variable over a label of the request metric, all values selected by default. */
function labelVariable(name: string, query: string, datasourceUid: string) {
  return {
    name,
    label: name,
    type: "query",
    datasource: { type: "prometheus", uid: datasourceUid },
    query: { query, refId: name },
    definition: query,
    includeAll: true,
    multi: true,
    allValue: ".*",
    current: { selected: true, text: ["All"], value: ["$__all"] },
    refresh: 2,
    sort: 1,
  };
}

/** The dashboard's JSON model, querying the Prometheus-compatible data source `datasourceUid`. */
export function apiLatencyDashboard(datasourceUid: string) {
  return {
    uid: dashboardUid,
    title: "API latency",
    tags: ["platform", "latency", "slo"],
    timezone: "utc",
    refresh: "1m",
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        labelVariable("service", `label_values(${duration}_count, service)`, datasourceUid),
        labelVariable("route", `label_values(${duration}_count{service=~"$service"}, route)`, datasourceUid),
      ],
    },
    panels: panels.map((panel, i) => panelModel(panel, i, datasourceUid)),
  };
}
