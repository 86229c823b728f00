/**
 * The OpenTelemetry Collector configurations of the two tiers, built as typed objects and
 * rendered to YAML for the Helm chart. Component type names are the canonical ones of
 * collector-contrib 0.158.0 (`k8s_attributes`, `resource_detection`, `otlp_grpc`,
 * `otlp_http`, `prometheus_remote_write`, `load_balancing`); the real collector validates
 * both configs in `collector-config.otelcol.test.ts`.
 *
 * - agent (DaemonSet): receives OTLP from the pods of its node (the Service routes
 *   node-locally), adds Kubernetes metadata and the node's zone, scrapes its node's
 *   cAdvisor and, on the node that runs it, kube-state-metrics; sends spans to the gateway
 *   replica that owns their trace id (so tail sampling sees whole traces), metrics and logs
 *   to any gateway replica.
 * - gateway (Deployment): tail-samples traces and exports to Mimir, Loki and Tempo.
 * - local (`localConfig`, one process on 127.0.0.1 for `npm start` and the integration
 *   tests, run by local/collector.ts): the processors of both tiers that work without a
 *   cluster, built by the same functions, with files and a Prometheus endpoint as backends.
 */
import { stringify } from "yaml";
import { unknownZone } from "../../contracts/telemetry-schema.js";
import type {
  Batch,
  CollectorConfig,
  Delivery,
  MemoryLimiter,
  OtlpReceiver,
  Pipeline,
  PrometheusScrapeConfig,
  ResourceDetection,
  Signal,
  TailSampling,
  TailSamplingPolicy,
  Transform,
  TransformGroup,
} from "./collector-types.js";

export type * from "./collector-types.js";

export interface CollectorPipelineArgs {
  /** The gateway's Service, `<name>.<namespace>`, that agents send to. */
  readonly gatewayService: string;
  /** Mimir's remote-write URL, e.g. `http://mimir-distributor.observability.svc:8080/api/v1/push`. */
  readonly metricsPushUrl: string;
  /** Loki's OTLP base URL (the exporter appends `/v1/logs`), e.g. `http://loki-gateway.observability.svc/otlp`. */
  readonly logsOtlpUrl: string;
  /** Tempo's OTLP/gRPC `host:port`, e.g. `tempo-distributor.observability.svc:4317`. */
  readonly tracesOtlpEndpoint: string;
  /** Traces kept whatever they look like, in percent (errors and slow traces are always kept). */
  readonly baselineSamplingPercent: number;
  /** A trace slower than this is always kept, in milliseconds (the latency objective). */
  readonly slowTraceMs: number;
}

/** Ports the collectors listen on. */
export const otlpGrpcPort = 4317;
export const otlpHttpPort = 4318;
export const healthCheckPort = 13133;
export const internalMetricsPort = 8888;

/**
 * What a collector learns from its pod's environment (the rendered config is the same on
 * every pod): the pod IP the chart puts in MY_POD_IP (listeners bind to it, not to
 * 0.0.0.0), and for the agent its node and service-account folder (see `agentEnv`).
 */
export const podEnv = {
  podIp: "MY_POD_IP",
  nodeName: "K8S_NODE_NAME",
  serviceAccountDir: "SERVICE_ACCOUNT_DIR",
} as const;
const env = (name: string) => `\${env:${name}}`;
const podIp = env(podEnv.podIp);

/** Where a collector listens: its pod's IP in the cluster, 127.0.0.1 on one machine. */
interface Listen {
  readonly host: string;
  readonly otlpGrpc: number;
  readonly otlpHttp: number;
  readonly healthCheck: number;
  readonly internalMetrics: number;
}
const inPod: Listen = {
  host: podIp,
  otlpGrpc: otlpGrpcPort,
  otlpHttp: otlpHttpPort,
  healthCheck: healthCheckPort,
  internalMetrics: internalMetricsPort,
};

const extensions = (at: Listen) => ({ health_check: { endpoint: `${at.host}:${at.healthCheck}` } });
const memoryLimiter: MemoryLimiter = {
  check_interval: "1s",
  limit_percentage: 80,
  spike_limit_percentage: 25,
};
const delivery: Delivery = {
  sending_queue: { enabled: true, queue_size: 5000 },
  retry_on_failure: { enabled: true, max_elapsed_time: "300s" },
};
const otlpReceiver = (at: Listen): OtlpReceiver => ({
  protocols: {
    grpc: { endpoint: `${at.host}:${at.otlpGrpc}` },
    http: { endpoint: `${at.host}:${at.otlpHttp}` },
  },
});
/** `env` reads OTEL_RESOURCE_ATTRIBUTES (cluster, region, environment: see agentEnv). */
const resourceDetection: ResourceDetection = { detectors: ["env"], timeout: "2s", override: false };
/** The agent's (and the local collector's) batch: a second at most, so data shows up promptly. */
const shortBatch: Batch = { timeout: "1s", send_batch_size: 2048, send_batch_max_size: 4096 };

function service(pipelines: Record<Signal, Pipeline>, at: Listen = inPod): CollectorConfig["service"] {
  return {
    extensions: ["health_check"],
    telemetry: {
      metrics: {
        level: "basic",
        readers: [{ pull: { exporter: { prometheus: { host: at.host, port: at.internalMetrics } } } }],
      },
    },
    pipelines,
  };
}

/**
 * What the agent scrapes on its own node: cAdvisor through the API server's node proxy
 * (TLS verified against the cluster CA; kubelet serving certificates are self-signed), and
 * kube-state-metrics when its pod runs here, so exactly one agent scrapes it.
 */
export function nodeScrapeConfigs(): PrometheusScrapeConfig[] {
  const node = env(podEnv.nodeName);
  const serviceAccountDir = env(podEnv.serviceAccountDir);
  return [
    {
      job_name: "cadvisor",
      scheme: "https",
      metrics_path: `/api/v1/nodes/${node}/proxy/metrics/cadvisor`,
      authorization: { credentials_file: `${serviceAccountDir}/token` },
      tls_config: { ca_file: `${serviceAccountDir}/ca.crt` },
      static_configs: [{ targets: ["kubernetes.default.svc:443"] }],
      metric_relabel_configs: [
        { source_labels: ["__name__"], regex: "container_cpu_usage_seconds_total", action: "keep" },
      ],
    },
    {
      job_name: "kube-state-metrics",
      kubernetes_sd_configs: [{ role: "pod", selectors: [{ role: "pod", field: `spec.nodeName=${node}` }] }],
      relabel_configs: [
        {
          source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
          regex: "kube-state-metrics",
          action: "keep",
        },
        { source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: "http", action: "keep" },
      ],
    },
  ];
}

/**
 * The zone of the pod's node. Services cannot read it (the downward API does not expose node
 * labels), so the runtime reports `ZONE`'s default, "unknown", both as the `zone` label of its
 * request metrics (services/runtime/metrics.ts) and as the `cloud.availability_zone` resource
 * attribute (services/runtime/telemetry.ts). The agent, which knows the node, fills them in:
 * `k8s_attributes` copies the node's `topology.kubernetes.io/zone` label into `fromNode`
 * (`extract.labels` with `from: node`, k8sattributesprocessor v0.158.0 config.go), and
 * `transform/zone` overwrites what is missing or unknown. It must run as a transform:
 * `k8s_attributes` never overwrites an attribute that is already set.
 */
const nodeZoneLabel = "topology.kubernetes.io/zone";
export const nodeZone = {
  /** The node label the cloud provider sets. */
  label: nodeZoneLabel,
  /** The resource attribute it is copied into (semantic conventions' `k8s.node.label.<key>`). */
  fromNode: `k8s.node.label.${nodeZoneLabel}`,
  /** The resource attribute the runtime sets from `ZONE`. */
  resourceAttribute: "cloud.availability_zone",
  /** The data-point label of request metrics (contracts/telemetry-schema.ts `requestLabels`). */
  metricLabel: "zone",
  /** What the runtime reports without `ZONE` (contracts/telemetry-schema.ts `unknownZone`). */
  unknown: unknownZone,
  /** The `service.namespace` of the runtime's resource: only its data points get the label. */
  serviceNamespace: "platform",
} as const;

const ottl = JSON.stringify;
const missingOrUnknown = (path: string) => `(${path} == nil or ${path} == ${ottl(nodeZone.unknown)})`;

/**
 * `transform/zone`: sets `cloud.availability_zone` on every resource (all signals), and the
 * `zone` label on the data points of the platform's services, from the node's zone, where
 * they are missing or "unknown". Telemetry with no known node (cAdvisor through the API
 * server) is left alone. Scraped kube-state-metrics series keep their labels: they describe
 * other pods, not the zone kube-state-metrics runs in.
 */
export function zoneTransform(): Transform {
  const fromNode = `resource.attributes[${ottl(nodeZone.fromNode)}]`;
  const zoneAttribute = `resource.attributes[${ottl(nodeZone.resourceAttribute)}]`;
  const zoneLabel = `datapoint.attributes[${ottl(nodeZone.metricLabel)}]`;
  // A new object per signal: shared ones would render as YAML anchors.
  const resource = (): TransformGroup => ({
    context: "resource",
    statements: [
      `set(${zoneAttribute}, ${fromNode}) where ${fromNode} != nil and ${missingOrUnknown(zoneAttribute)}`,
    ],
  });
  return {
    error_mode: "ignore",
    trace_statements: [resource()],
    log_statements: [resource()],
    metric_statements: [
      resource(),
      {
        context: "datapoint",
        statements: [
          `set(${zoneLabel}, ${fromNode}) where ${fromNode} != nil` +
            ` and resource.attributes["service.namespace"] == ${ottl(nodeZone.serviceNamespace)}` +
            ` and ${missingOrUnknown(zoneLabel)}`,
        ],
      },
    ],
  };
}

/** An environment variable of the collector container, as the chart's `extraEnvs` takes it. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef: { readonly fieldPath: string } };
}

/**
 * The agent pod's environment: its node (downward API), the service-account folder the
 * kubelet mounts, and the resource attributes `resource_detection` adds to all telemetry.
 */
export function agentEnv(resourceAttributes: Readonly<Record<string, string>>): EnvVar[] {
  return [
    { name: podEnv.nodeName, valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    { name: podEnv.serviceAccountDir, value: "/var/run/secrets/kubernetes.io/serviceaccount" },
    {
      name: "OTEL_RESOURCE_ATTRIBUTES",
      value: Object.entries(resourceAttributes)
        .map(([key, value]) => `${key}=${value}`)
        .join(","),
    },
  ];
}

/** The node-local tier every pod sends OTLP to. */
export function agentConfig(args: CollectorPipelineArgs): CollectorConfig {
  const common = ["memory_limiter", "k8s_attributes", "resource_detection", "transform/zone"];
  return {
    extensions: extensions(inPod),
    receivers: { otlp: otlpReceiver(inPod), prometheus: { config: { scrape_configs: nodeScrapeConfigs() } } },
    processors: {
      memory_limiter: memoryLimiter,
      k8s_attributes: {
        // Passthrough false: the agent looks pods up in the API (only those of its node).
        passthrough: false,
        auth_type: "serviceAccount",
        filter: { node_from_env_var: podEnv.nodeName },
        extract: {
          metadata: [
            "k8s.namespace.name",
            "k8s.pod.name",
            "k8s.pod.uid",
            "k8s.node.name",
            "k8s.replicaset.name",
          ],
          // The node's zone, for transform/zone (nodes are watched only for their labels).
          labels: [{ tag_name: nodeZone.fromNode, key: nodeZone.label, from: "node" }],
        },
        pod_association: [
          { sources: [{ from: "resource_attribute", name: "k8s.pod.ip" }] },
          { sources: [{ from: "resource_attribute", name: "k8s.pod.uid" }] },
          { sources: [{ from: "connection" }] },
        ],
      },
      // Pods cannot reach IMDS (hop limit 1), so no cloud detector.
      resource_detection: resourceDetection,
      // After k8s_attributes, which adds the node's zone it reads.
      "transform/zone": zoneTransform(),
      batch: shortBatch,
    },
    exporters: {
      "load_balancing/gateway": {
        routing_key: "traceID",
        protocol: { otlp: { tls: { insecure: true } } },
        resolver: { k8s: { service: args.gatewayService, ports: [otlpGrpcPort] } },
      },
      "otlp_grpc/gateway": {
        endpoint: `${args.gatewayService}.svc:${otlpGrpcPort}`,
        tls: { insecure: true },
        ...delivery,
      },
    },
    service: service({
      traces: {
        receivers: ["otlp"],
        processors: [...common, "batch"],
        exporters: ["load_balancing/gateway"],
      },
      metrics: {
        receivers: ["otlp", "prometheus"],
        processors: [...common, "batch"],
        exporters: ["otlp_grpc/gateway"],
      },
      logs: { receivers: ["otlp"], processors: [...common, "batch"], exporters: ["otlp_grpc/gateway"] },
    }),
  };
}

/** What tail sampling keeps: the two numbers a stack (or local mode) chooses. */
export type SamplingArgs = Pick<CollectorPipelineArgs, "baselineSamplingPercent" | "slowTraceMs">;

/** Keep every error, every slow trace, and a baseline share of the rest (policies are ORed). */
export function samplingPolicies(args: SamplingArgs): TailSamplingPolicy[] {
  return [
    { name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
    {
      name: `slower-than-${args.slowTraceMs}ms`,
      type: "latency",
      latency: { threshold_ms: args.slowTraceMs },
    },
    {
      name: "baseline",
      type: "probabilistic",
      probabilistic: { sampling_percentage: args.baselineSamplingPercent },
    },
  ];
}

/** How long the gateway holds a trace's spans before deciding: long enough for slow spans to arrive. */
export const gatewayDecisionWaitSeconds = 10;

/**
 * The tail_sampling processor. `decisionWaitSeconds` is how long spans wait for the rest of
 * their trace; a trace still open then is decided on what arrived (later spans of a kept
 * trace are kept too).
 */
export function tailSampling(
  args: SamplingArgs,
  decisionWaitSeconds = gatewayDecisionWaitSeconds,
): TailSampling {
  return {
    decision_wait: `${decisionWaitSeconds}s`,
    num_traces: 200_000,
    expected_new_traces_per_sec: 2_000,
    policies: samplingPolicies(args),
  };
}

/** The central tier: tail sampling and the exports to the backends. */
export function gatewayConfig(args: CollectorPipelineArgs): CollectorConfig {
  return {
    extensions: extensions(inPod),
    receivers: { otlp: otlpReceiver(inPod) },
    processors: {
      memory_limiter: memoryLimiter,
      tail_sampling: tailSampling(args),
      batch: { timeout: "5s", send_batch_size: 8192, send_batch_max_size: 16384 },
    },
    exporters: {
      "otlp_grpc/tempo": { endpoint: args.tracesOtlpEndpoint, tls: { insecure: true }, ...delivery },
      "otlp_http/loki": { endpoint: args.logsOtlpUrl, ...delivery },
      "prometheus_remote_write/mimir": {
        endpoint: args.metricsPushUrl,
        resource_to_telemetry_conversion: { enabled: false },
        retry_on_failure: delivery.retry_on_failure,
      },
    },
    service: service({
      // Batch after tail sampling: the sampler needs spans as they arrive.
      traces: {
        receivers: ["otlp"],
        processors: ["memory_limiter", "tail_sampling", "batch"],
        exporters: ["otlp_grpc/tempo"],
      },
      metrics: {
        receivers: ["otlp"],
        processors: ["memory_limiter", "batch"],
        exporters: ["prometheus_remote_write/mimir"],
      },
      logs: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["otlp_http/loki"] },
    }),
  };
}

/** The local collector's address: loopback only. */
export const localHost = "127.0.0.1";

export interface LocalCollectorArgs extends SamplingArgs {
  readonly ports: {
    readonly otlpGrpc: number;
    readonly otlpHttp: number;
    readonly healthCheck: number;
    /** The collector's own metrics (otelcol_*). */
    readonly internalMetrics: number;
    /** The Prometheus exporter: the services' metrics, at /metrics. */
    readonly prometheus: number;
  };
  /** Where spans and log records go, one OTLP/JSON export per line. */
  readonly tracesFile: string;
  readonly logsFile: string;
  /** Tail sampling's decision wait: short on one machine, where every span arrives at once. */
  readonly decisionWaitSeconds: number;
}

/** Size-based rotation of the local files: 50 MB each, the last two kept. */
export const localFileRotation = { max_megabytes: 50, max_backups: 2 } as const;

/**
 * The whole pipeline in one collector on 127.0.0.1, for `npm start` and the integration
 * tests: the agent's and the gateway's processors, from the same definitions, where they
 * can work without a cluster. `k8s_attributes` is left out: it looks pods up in the
 * Kubernetes API (with `passthrough` it would only tag every resource with the pod IP
 * 127.0.0.1), and `transform/zone` only copies the node zone `k8s_attributes` adds, so it
 * would never act; local services report `ZONE=local` themselves. The backends become
 * files (traces, logs) and a Prometheus endpoint that the local Prometheus scrapes
 * (metrics); resource attributes become labels there, so a series shows its service
 * version and environment without a join on `target_info`.
 */
export function localConfig(args: LocalCollectorArgs): CollectorConfig {
  const at: Listen = { host: localHost, ...args.ports };
  // A fresh object each: shared ones would render as YAML anchors.
  const file = (path: string) => ({ path, format: "json" as const, rotation: { ...localFileRotation } });
  const processors = (...middle: string[]) => ["memory_limiter", "resource_detection", ...middle, "batch"];
  return {
    extensions: extensions(at),
    receivers: { otlp: otlpReceiver(at) },
    processors: {
      memory_limiter: memoryLimiter,
      resource_detection: resourceDetection,
      tail_sampling: tailSampling(args, args.decisionWaitSeconds),
      batch: shortBatch,
    },
    exporters: {
      "file/traces": file(args.tracesFile),
      "file/logs": file(args.logsFile),
      prometheus: {
        endpoint: `${localHost}:${args.ports.prometheus}`,
        resource_to_telemetry_conversion: { enabled: true },
        metric_expiration: "5m",
      },
    },
    service: service(
      {
        traces: { receivers: ["otlp"], processors: processors("tail_sampling"), exporters: ["file/traces"] },
        metrics: { receivers: ["otlp"], processors: processors(), exporters: ["prometheus"] },
        logs: { receivers: ["otlp"], processors: processors(), exporters: ["file/logs"] },
      },
      at,
    ),
  };
}

/** The YAML the collector reads. */
export function renderCollectorConfig(config: CollectorConfig): string {
  return stringify(config, { lineWidth: 0 });
}
