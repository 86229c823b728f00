/**
 * The Helm values of every release in the observability namespace, as pure functions of
 * plain values (bucket names, role ARNs, zones), so they are tested without mocks.
 */
import { collectorImage, releases, type StorageBackend, serviceAccountOf } from "./backends.js";
import { type CollectorConfig, type EnvVar, otlpGrpcPort, otlpHttpPort } from "./collector-config.js";

type Values = Record<string, unknown>;

const zoneLabel = "topology.kubernetes.io/zone";

/** A service account the backend's pods run as, annotated with its IRSA role. */
function serviceAccount(backend: StorageBackend, roleArn: string): Values {
  return {
    create: true,
    name: serviceAccountOf(backend),
    annotations: { "eks.amazonaws.com/role-arn": roleArn },
  };
}

/** Spread a Deployment's pods evenly over the zones, so losing one zone loses a third. */
export function zoneSpread(release: string): Values[] {
  return [
    {
      maxSkew: 1,
      topologyKey: zoneLabel,
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: { matchLabels: { "app.kubernetes.io/instance": release } },
    },
  ];
}

/** Mimir, Tempo and Loki ingesters: one replica set per zone, each pinned to its zone. */
export function zoneAwareReplication(zones: readonly string[]): Values {
  return {
    enabled: true,
    topologyKey: zoneLabel,
    zones: zones.map((zone, i) => ({
      name: `zone-${String.fromCharCode(97 + i)}`,
      nodeSelector: { [zoneLabel]: zone },
    })),
  };
}

// Only OTLP: the chart's Jaeger and Zipkin ports stay closed. The OTLP ports are spelled out
// (the receivers listen on them, services dial the HTTP one) rather than left to chart
// defaults. hostPort 0 (none) keeps the DaemonSet within the namespace's Pod Security level.
const otlpPort = (port: number): Values => ({
  enabled: true,
  containerPort: port,
  servicePort: port,
  protocol: "TCP",
  hostPort: 0,
});
const collectorPorts: Values = {
  otlp: otlpPort(otlpGrpcPort),
  "otlp-http": otlpPort(otlpHttpPort),
  "jaeger-compact": { enabled: false },
  "jaeger-thrift": { enabled: false },
  "jaeger-grpc": { enabled: false },
  zipkin: { enabled: false },
  metrics: { enabled: true },
};

const collectorCommon = (config: CollectorConfig): Values => ({
  image: { repository: collectorImage.repository, tag: collectorImage.tag },
  command: { name: collectorImage.command },
  // Used as-is: the chart merges nothing of its own default config into it.
  alternateConfig: config,
  ports: collectorPorts,
  securityContext: {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  },
});

/**
 * What the agent reads from the API: pods, namespaces, nodes and ReplicaSets (pod
 * metadata; kube-state-metrics discovery), nodes/proxy (cAdvisor through the API server),
 * and the gateway's endpoints (the load-balancing exporter's resolver).
 */
export const agentClusterRules: Values[] = [
  {
    apiGroups: [""],
    resources: ["pods", "namespaces", "nodes", "endpoints"],
    verbs: ["get", "list", "watch"],
  },
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] },
];

/** The node-local agent: a DaemonSet behind a Service that keeps traffic on the node. */
export function agentValues(config: CollectorConfig, env: readonly EnvVar[]): Values {
  return {
    ...collectorCommon(config),
    fullnameOverride: releases.agent,
    mode: "daemonset",
    extraEnvs: env,
    service: { enabled: true, internalTrafficPolicy: "Local" },
    clusterRole: { create: true, rules: agentClusterRules },
    resources: { requests: { cpu: "200m", memory: "256Mi" }, limits: { memory: "512Mi" } },
  };
}

/** The gateway: three replicas, one per zone, at least two always up. */
export function gatewayValues(config: CollectorConfig): Values {
  return {
    ...collectorCommon(config),
    fullnameOverride: releases.gateway,
    mode: "deployment",
    replicaCount: 3,
    topologySpreadConstraints: zoneSpread(releases.gateway),
    podDisruptionBudget: { enabled: true, minAvailable: 2 },
    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
  };
}

export interface BackendStorage {
  readonly bucket: string;
  readonly roleArn: string;
  readonly region: string;
  readonly retentionDays: number;
  readonly zones: readonly string[];
}

const s3Endpoint = (region: string) => `s3.${region}.amazonaws.com`;

/** Mimir: one tenant, blocks (plus ruler and alertmanager prefixes) in its bucket; Grafana alerts instead. */
export function mimirValues(s: BackendStorage): Values {
  return {
    fullnameOverride: releases.mimir,
    serviceAccount: serviceAccount("mimir", s.roleArn),
    minio: { enabled: false },
    alertmanager: { enabled: false },
    ruler: { enabled: false },
    ingester: { zoneAwareReplication: zoneAwareReplication(s.zones) },
    store_gateway: { zoneAwareReplication: zoneAwareReplication(s.zones) },
    mimir: {
      structuredConfig: {
        multitenancy_enabled: false,
        common: {
          storage: {
            backend: "s3",
            s3: { endpoint: s3Endpoint(s.region), region: s.region, bucket_name: s.bucket },
          },
        },
        blocks_storage: { storage_prefix: "blocks" },
        ruler_storage: { storage_prefix: "ruler" },
        alertmanager_storage: { storage_prefix: "alertmanager" },
        limits: { compactor_blocks_retention_period: `${s.retentionDays}d` },
      },
    },
  };
}

/** Loki: simple scalable mode, three of each target, TSDB schema v13 (OTLP needs structured metadata). */
export function lokiValues(s: BackendStorage): Values {
  return {
    fullnameOverride: releases.loki,
    deploymentMode: "SimpleScalable",
    serviceAccount: serviceAccount("loki", s.roleArn),
    minio: { enabled: false },
    loki: {
      auth_enabled: false,
      schemaConfig: {
        configs: [
          {
            from: "2026-01-01",
            store: "tsdb",
            object_store: "s3",
            schema: "v13",
            index: { prefix: "index_", period: "24h" },
          },
        ],
      },
      storage: {
        type: "s3",
        bucketNames: { chunks: s.bucket, ruler: s.bucket, admin: s.bucket },
        s3: { region: s.region },
      },
      limits_config: { retention_period: `${s.retentionDays * 24}h`, allow_structured_metadata: true },
      compactor: { retention_enabled: true, delete_request_store: "s3" },
    },
    write: { replicas: 3 },
    read: { replicas: 3 },
    backend: { replicas: 3 },
  };
}

/** Tempo: OTLP/gRPC in, blocks in S3, zone-aware ingesters, retention by its compactor. */
export function tempoValues(s: BackendStorage): Values {
  return {
    fullnameOverride: releases.tempo,
    serviceAccount: serviceAccount("tempo", s.roleArn),
    traces: { otlp: { grpc: { enabled: true } } },
    storage: {
      trace: { backend: "s3", s3: { bucket: s.bucket, endpoint: s3Endpoint(s.region), region: s.region } },
    },
    ingester: { replicas: 3, zoneAwareReplication: zoneAwareReplication(s.zones) },
    compactor: { config: { compaction: { block_retention: `${s.retentionDays * 24}h` } } },
  };
}

export interface GrafanaValuesArgs {
  /** The URL people open Grafana at (root_url: links in notifications point there). */
  readonly rootUrl: string;
  /** The Secret holding `admin-user` and `admin-password`. */
  readonly adminSecret: string;
}

/**
 * Grafana: the admin login from a Secret the program writes, unified alerting on, no
 * sign-up, no phoning home. Data sources, dashboards and alerts come from the Alerting
 * component through the Grafana API, not from chart provisioning.
 */
export function grafanaValues(args: GrafanaValuesArgs): Values {
  return {
    fullnameOverride: releases.grafana,
    admin: { existingSecret: args.adminSecret, userKey: "admin-user", passwordKey: "admin-password" },
    persistence: { enabled: true, size: "10Gi" },
    "grafana.ini": {
      server: { root_url: args.rootUrl },
      users: { allow_sign_up: false },
      analytics: { reporting_enabled: false, check_for_updates: false },
      unified_alerting: { enabled: true },
    },
  };
}

/** kube-state-metrics (the crash-loop alert reads it); the agent on its node scrapes it. */
export function kubeStateMetricsValues(): Values {
  return { fullnameOverride: releases.kubeStateMetrics, replicas: 1 };
}
