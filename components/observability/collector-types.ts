/**
 * TypeScript types for the parts of the OpenTelemetry Collector (contrib 0.158.0)
 * configuration the platform uses; keys are spelled as the collector reads them.
 */

export interface OtlpReceiver {
  readonly protocols: { readonly grpc: { endpoint: string }; readonly http: { endpoint: string } };
}
export interface PrometheusScrapeConfig {
  readonly job_name: string;
  readonly scheme?: "http" | "https";
  readonly metrics_path?: string;
  readonly authorization?: { readonly credentials_file: string };
  readonly tls_config?: { readonly ca_file: string };
  readonly static_configs?: readonly { readonly targets: readonly string[] }[];
  readonly kubernetes_sd_configs?: readonly {
    readonly role: "pod";
    readonly selectors?: readonly { readonly role: "pod"; readonly field: string }[];
  }[];
  readonly relabel_configs?: readonly RelabelRule[];
  readonly metric_relabel_configs?: readonly RelabelRule[];
}
export interface RelabelRule {
  readonly source_labels: readonly string[];
  readonly regex: string;
  readonly action: "keep" | "drop";
}
export interface PrometheusReceiver {
  readonly config: { readonly scrape_configs: readonly PrometheusScrapeConfig[] };
}
export interface MemoryLimiter {
  readonly check_interval: string;
  readonly limit_percentage: number;
  readonly spike_limit_percentage: number;
}
export interface Batch {
  readonly timeout: string;
  readonly send_batch_size: number;
  readonly send_batch_max_size: number;
}
/** A label (or annotation) copied into a resource attribute, from the pod's own object or its node's. */
export interface K8sFieldExtract {
  readonly tag_name: string;
  readonly key: string;
  readonly from: "pod" | "namespace" | "node";
}
export interface K8sAttributes {
  readonly passthrough: boolean;
  readonly auth_type: "serviceAccount";
  readonly filter: { readonly node_from_env_var: string };
  readonly extract: { readonly metadata: readonly string[]; readonly labels?: readonly K8sFieldExtract[] };
  readonly pod_association: readonly {
    readonly sources: readonly {
      readonly from: "resource_attribute" | "connection";
      readonly name?: string;
    }[];
  }[];
}
/** OTTL statements run in one context (a resource, or each data point of a metric). */
export interface TransformGroup {
  readonly context: "resource" | "datapoint";
  readonly statements: readonly string[];
}
/** The transform processor, in its grouped form: each group names its context. */
export interface Transform {
  readonly error_mode: "ignore" | "silent" | "propagate";
  readonly trace_statements?: readonly TransformGroup[];
  readonly metric_statements?: readonly TransformGroup[];
  readonly log_statements?: readonly TransformGroup[];
}
export interface ResourceDetection {
  readonly detectors: readonly ("env" | "system")[];
  readonly timeout: string;
  readonly override: boolean;
}
export type TailSamplingPolicy =
  | { readonly name: string; readonly type: "status_code"; readonly status_code: { status_codes: "ERROR"[] } }
  | { readonly name: string; readonly type: "latency"; readonly latency: { threshold_ms: number } }
  | {
      readonly name: string;
      readonly type: "probabilistic";
      readonly probabilistic: { sampling_percentage: number };
    };
export interface TailSampling {
  readonly decision_wait: string;
  readonly num_traces: number;
  readonly expected_new_traces_per_sec: number;
  readonly policies: readonly TailSamplingPolicy[];
}
/** Queue and retries of an exporter: bursts and short backend outages are absorbed, not dropped. */
export interface Delivery {
  readonly sending_queue: { readonly enabled: true; readonly queue_size: number };
  readonly retry_on_failure: { readonly enabled: true; readonly max_elapsed_time: string };
}
export interface OtlpGrpcExporter extends Delivery {
  readonly endpoint: string;
  readonly tls: { readonly insecure: boolean };
}
export interface OtlpHttpExporter extends Delivery {
  readonly endpoint: string;
}
export interface PrometheusRemoteWriteExporter {
  readonly endpoint: string;
  readonly resource_to_telemetry_conversion: { readonly enabled: boolean };
  readonly retry_on_failure: Delivery["retry_on_failure"];
}
/** Writes each export as one JSON line (OTLP/JSON) to a file, rotated by size. */
export interface FileExporter {
  readonly path: string;
  readonly format: "json";
  readonly rotation: { readonly max_megabytes: number; readonly max_backups: number };
}
/** Serves the metrics it receives on `endpoint`/metrics for a Prometheus to scrape. */
export interface PrometheusExporter {
  readonly endpoint: string;
  readonly resource_to_telemetry_conversion: { readonly enabled: boolean };
  readonly metric_expiration: string;
}
export interface LoadBalancingExporter {
  readonly routing_key: "traceID";
  readonly protocol: { readonly otlp: { readonly tls: { readonly insecure: boolean } } };
  readonly resolver: { readonly k8s: { readonly service: string; readonly ports: readonly number[] } };
}
export interface Pipeline {
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}
export type Signal = "traces" | "metrics" | "logs";

/** A collector configuration, as much of its schema as the platform uses. */
export interface CollectorConfig {
  readonly extensions: { readonly health_check: { readonly endpoint: string } };
  readonly receivers: {
    readonly otlp?: OtlpReceiver;
    readonly prometheus?: PrometheusReceiver;
  };
  readonly processors: {
    readonly memory_limiter: MemoryLimiter;
    readonly batch: Batch;
    readonly k8s_attributes?: K8sAttributes;
    readonly resource_detection?: ResourceDetection;
    readonly "transform/zone"?: Transform;
    readonly tail_sampling?: TailSampling;
  };
  readonly exporters: Readonly<
    Record<
      string,
      | OtlpGrpcExporter
      | OtlpHttpExporter
      | PrometheusRemoteWriteExporter
      | LoadBalancingExporter
      | FileExporter
      | PrometheusExporter
    >
  >;
  readonly service: {
    readonly extensions: readonly string[];
    readonly telemetry: {
      readonly metrics: {
        readonly level: "basic";
        readonly readers: readonly {
          readonly pull: { readonly exporter: { readonly prometheus: { host: string; port: number } } };
        }[];
      };
    };
    readonly pipelines: Readonly<Record<Signal, Pipeline>>;
  };
}
