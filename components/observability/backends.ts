/**
 * What runs in the `observability` namespace, where each piece comes from (exact chart
 * versions), and how the rest reaches it. Release names are also the charts'
 * `fullnameOverride`, so Service names below are fixed, not guessed from chart defaults.
 */
import { otlpGrpcPort, otlpHttpPort } from "./collector-config.js";

export const observabilityNamespace = "observability";

export interface ChartPin {
  readonly chart: string;
  readonly version: string;
  readonly repo: string;
}

const openTelemetry = "https://open-telemetry.github.io/opentelemetry-helm-charts";
const grafanaLabs = "https://grafana.github.io/helm-charts";
/**
 * Grafana Labs moved the grafana, loki and tempo charts to the community repository in
 * 2026; their copies on grafana.github.io are frozen and marked deprecated.
 */
const grafanaCommunity = "https://grafana-community.github.io/helm-charts";
const prometheusCommunity = "https://prometheus-community.github.io/helm-charts";

export const releases = {
  agent: "otel-collector",
  gateway: "otel-gateway",
  mimir: "mimir",
  loki: "loki",
  tempo: "tempo",
  grafana: "grafana",
  kubeStateMetrics: "kube-state-metrics",
} as const;
export type Release = keyof typeof releases;

export const charts: Readonly<Record<Release, ChartPin>> = {
  agent: { chart: "opentelemetry-collector", version: "0.158.3", repo: openTelemetry },
  gateway: { chart: "opentelemetry-collector", version: "0.158.3", repo: openTelemetry },
  mimir: { chart: "mimir-distributed", version: "6.2.0", repo: grafanaLabs },
  loki: { chart: "loki", version: "7.0.0", repo: grafanaCommunity },
  tempo: { chart: "tempo-distributed", version: "1.63.1", repo: grafanaCommunity },
  grafana: { chart: "grafana", version: "11.6.1", repo: grafanaCommunity },
  kubeStateMetrics: { chart: "kube-state-metrics", version: "6.4.2", repo: prometheusCommunity },
};

/**
 * The collector image: contrib at the release whose components `local/collector-build.ts`
 * builds and the tests validate the config with (the chart's own default lags behind).
 */
export const collectorImage = {
  repository: "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib",
  tag: "0.158.0",
  command: "otelcol-contrib",
} as const;

/** The backends that keep data in S3, each through its own bucket and IRSA role. */
export const storageBackends = ["mimir", "loki", "tempo"] as const;
export type StorageBackend = (typeof storageBackends)[number];

/** The service account each backend's pods run as; its IRSA role trusts exactly this one. */
export const serviceAccountOf = (backend: StorageBackend): string => releases[backend];

/** Cluster DNS name of a Service in a namespace (resolved through the pod's search path). */
export const serviceHost = (service: string, namespace: string) => `${service}.${namespace}.svc`;

export interface ObservabilityEndpoints {
  /** OTLP/gRPC on the node-local agent (for clients that speak gRPC; the service runtime does not). */
  readonly otlpGrpc: string;
  /** OTLP/HTTP on the node-local agent: where services send traces, metrics and logs (http/protobuf). */
  readonly otlpHttp: string;
  /** The gateway tier, `<service>.<namespace>` as the load-balancing exporter's k8s resolver wants it. */
  readonly gatewayService: string;
  /** Mimir's remote-write endpoint. */
  readonly metricsPush: string;
  /** Mimir's Prometheus-compatible query API (the query frontend). */
  readonly prometheusQuery: string;
  /** Loki's OTLP base URL (the exporter appends /v1/logs). */
  readonly logsOtlp: string;
  /** Loki's query API. */
  readonly logsQuery: string;
  /** Tempo's OTLP/gRPC `host:port`. */
  readonly tracesOtlp: string;
  /** Tempo's query API. */
  readonly tracesQuery: string;
  /** Grafana inside the cluster. */
  readonly grafana: string;
}

export function endpoints(namespace: string): ObservabilityEndpoints {
  const host = (service: string) => serviceHost(service, namespace);
  return {
    otlpGrpc: `http://${host(releases.agent)}:${otlpGrpcPort}`,
    otlpHttp: `http://${host(releases.agent)}:${otlpHttpPort}`,
    gatewayService: `${releases.gateway}.${namespace}`,
    metricsPush: `http://${host(`${releases.mimir}-distributor`)}:8080/api/v1/push`,
    prometheusQuery: `http://${host(`${releases.mimir}-query-frontend`)}:8080/prometheus`,
    logsOtlp: `http://${host(`${releases.loki}-gateway`)}/otlp`,
    logsQuery: `http://${host(`${releases.loki}-gateway`)}`,
    tracesOtlp: `${host(`${releases.tempo}-distributor`)}:4317`,
    tracesQuery: `http://${host(`${releases.tempo}-query-frontend`)}:3200`,
    grafana: `http://${host(releases.grafana)}`,
  };
}
