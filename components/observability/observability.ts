import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { latencyObjective } from "../../contracts/telemetry-schema.js";
import { createServiceAccountRole, type IrsaIssuer } from "../cluster/irsa.js";
import { createEncryptionKey } from "../shared/kms.js";
import { createPrivateBucket } from "../shared/private-bucket.js";
import type { Tags } from "../shared/tags.js";
import { invalid, requireThreeZones, requireWholeNumber } from "../shared/validation.js";
import {
  charts,
  endpoints,
  type ObservabilityEndpoints,
  observabilityNamespace,
  type Release,
  releases,
  type StorageBackend,
  serviceAccountOf,
  storageBackends,
} from "./backends.js";
import {
  agentValues,
  gatewayValues,
  grafanaValues,
  kubeStateMetricsValues,
  lokiValues,
  mimirValues,
  tempoValues,
} from "./chart-values.js";
import { agentConfig, agentEnv, type CollectorPipelineArgs, gatewayConfig } from "./collector-config.js";
import { backendAccessPolicy, bucketName, lifecycleRules } from "./storage.js";

/** Days each signal is kept by its backend. */
export interface RetentionDays {
  readonly metrics: number;
  readonly logs: number;
  readonly traces: number;
}

export interface ObservabilityArgs {
  /** The stack's name prefix, e.g. "platform-prod"; buckets are `<prefix>-<backend>-<account>`. */
  readonly prefix: string;
  /** The AWS region of the buckets. */
  readonly region: string;
  /** Exactly three zones: ingesters are replicated across them. */
  readonly zones: readonly string[];
  /** The cluster's Kubernetes provider; the namespace and every release go through it. */
  readonly k8sProvider: k8s.Provider;
  /** The cluster's OIDC provider and issuer, which the backends' IRSA roles trust. */
  readonly irsa: IrsaIssuer;
  /** Resource attributes every signal carries, e.g. `{ "k8s.cluster.name": ..., "deployment.environment.name": ... }`. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Share of ordinary traces kept, in percent; errors and traces slower than the objective are always kept. */
  readonly baselineSamplingPercent: number;
  /** Days Mimir, Loki and Tempo keep their data. */
  readonly retentionDays: RetentionDays;
  /** The URL people reach Grafana at. Default: its in-cluster URL. */
  readonly grafanaUrl?: string;
  /** Grafana's admin login, written to a Secret the chart reads (keep the password secret). */
  readonly grafanaAdmin: { readonly user: pulumi.Input<string>; readonly password: pulumi.Input<string> };
  /** Tags for every taggable AWS child. */
  readonly tags: Tags;
}

export function validateObservabilityArgs(args: ObservabilityArgs): void {
  requireThreeZones(args.zones);
  const p = args.baselineSamplingPercent;
  if (!(p >= 0 && p <= 100))
    invalid("baselineSamplingPercent", `expected a percentage from 0 to 100, got ${p}`);
  for (const [signal, days] of Object.entries(args.retentionDays))
    requireWholeNumber(days, `retentionDays.${signal}`, { min: 1, max: 3650, unit: "days" });
  if (args.grafanaUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(args.grafanaUrl))
    invalid("grafanaUrl", `expected an http(s) URL, got "${args.grafanaUrl}"`);
}

const retentionOf: Record<StorageBackend, keyof RetentionDays> = {
  mimir: "metrics",
  loki: "logs",
  tempo: "traces",
};

/** One encrypted, private, versioned bucket of a backend, with its key and IRSA role. */
export interface BackendStore {
  readonly bucket: aws.s3.Bucket;
  readonly kmsKey: aws.kms.Key;
  readonly role: aws.iam.Role;
}

/**
 * Telemetry for the whole platform in the `observability` namespace: OpenTelemetry
 * Collectors (a node-local agent DaemonSet and a tail-sampling gateway), Mimir for
 * metrics, Loki for logs, Tempo for traces, each storing in its own KMS-encrypted,
 * TLS-only S3 bucket through its own IRSA role, kube-state-metrics, and Grafana. Every
 * chart is pinned (see `backends.ts`); every config is built by the pure modules beside it.
 */
export class Observability extends pulumi.ComponentResource {
  static readonly type = "platform:observability:Observability";

  readonly namespace: k8s.core.v1.Namespace;
  readonly stores: Readonly<Record<StorageBackend, BackendStore>>;
  readonly releases: Readonly<Record<Release, k8s.helm.v3.Release>>;
  /** Where services and Grafana reach the pipeline and the backends. */
  readonly endpoints: ObservabilityEndpoints;
  /** The OTLP/HTTP endpoint services export to (the runtime's exporters are OTLP/HTTP protobuf). */
  readonly otlpEndpoint: string;
  /** Mimir's Prometheus-compatible query URL. */
  readonly prometheusQueryUrl: string;
  /** The URL Grafana is reached at (`grafanaUrl`, or in-cluster). */
  readonly grafanaUrl: string;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    validateObservabilityArgs(args);
    super(
      Observability.type,
      name,
      { namespace: observabilityNamespace, baselineSamplingPercent: args.baselineSamplingPercent },
      opts,
    );
    this.endpoints = endpoints(observabilityNamespace);
    this.otlpEndpoint = this.endpoints.otlpHttp;
    this.prometheusQueryUrl = this.endpoints.prometheusQuery;
    this.grafanaUrl = args.grafanaUrl ?? this.endpoints.grafana;
    const k8sOpts = { parent: this, provider: args.k8sProvider };

    // Pods here run third-party images: baseline is enforced, restricted is warned about.
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: observabilityNamespace,
          labels: {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "app.kubernetes.io/managed-by": "pulumi",
          },
        },
      },
      k8sOpts,
    );
    const namespace = this.namespace.metadata.name;

    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const store = (backend: StorageBackend): BackendStore => {
      const child = `${name}-${backend}`;
      const kmsKey = createEncryptionKey(
        child,
        { description: `Encrypts the ${backend} bucket of ${args.prefix}`, tags: args.tags },
        this,
      );
      const bucket = createPrivateBucket(
        child,
        {
          bucket: accountId.apply((id) => bucketName(args.prefix, backend, id)),
          kmsKeyArn: kmsKey.arn,
          tags: args.tags,
        },
        this,
      );
      new aws.s3.BucketLifecycleConfiguration(
        child,
        { bucket: bucket.id, rules: lifecycleRules },
        { parent: this },
      );
      const role = createServiceAccountRole(
        child,
        {
          issuer: args.irsa,
          namespace,
          serviceAccount: serviceAccountOf(backend),
          inlinePolicy: pulumi.all([bucket.bucket, kmsKey.arn]).apply(([b, k]) => backendAccessPolicy(b, k)),
          tags: args.tags,
        },
        this,
      );
      return { bucket, kmsKey, role };
    };
    this.stores = Object.fromEntries(storageBackends.map((b) => [b, store(b)])) as Record<
      StorageBackend,
      BackendStore
    >;

    const storage = (backend: StorageBackend) =>
      pulumi
        .all([this.stores[backend].bucket.bucket, this.stores[backend].role.arn])
        .apply(([bucket, roleArn]) => ({
          bucket,
          roleArn,
          region: args.region,
          zones: args.zones,
          retentionDays: args.retentionDays[retentionOf[backend]],
        }));

    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: "grafana-admin", namespace },
        stringData: {
          "admin-user": args.grafanaAdmin.user,
          "admin-password": pulumi.secret(args.grafanaAdmin.password),
        },
      },
      k8sOpts,
    );

    const pipeline: CollectorPipelineArgs = {
      gatewayService: this.endpoints.gatewayService,
      metricsPushUrl: this.endpoints.metricsPush,
      logsOtlpUrl: this.endpoints.logsOtlp,
      tracesOtlpEndpoint: this.endpoints.tracesOtlp,
      baselineSamplingPercent: args.baselineSamplingPercent,
      slowTraceMs: latencyObjective.p99Seconds * 1000,
    };
    const values: Record<Release, pulumi.Input<Record<string, unknown>>> = {
      mimir: storage("mimir").apply(mimirValues),
      loki: storage("loki").apply(lokiValues),
      tempo: storage("tempo").apply(tempoValues),
      kubeStateMetrics: kubeStateMetricsValues(),
      gateway: gatewayValues(gatewayConfig(pipeline)),
      agent: agentValues(agentConfig(pipeline), agentEnv(args.resourceAttributes)),
      grafana: grafanaValues({ rootUrl: this.grafanaUrl, adminSecret: "grafana-admin" }),
    };
    const release = (key: Release) =>
      new k8s.helm.v3.Release(
        `${name}-${releases[key]}`,
        {
          name: releases[key],
          chart: charts[key].chart,
          version: charts[key].version,
          repositoryOpts: { repo: charts[key].repo },
          namespace,
          values: values[key],
          atomic: true,
          timeout: 900,
        },
        { ...k8sOpts, dependsOn: key === "grafana" ? [this.namespace, adminSecret] : [this.namespace] },
      );
    this.releases = Object.fromEntries(
      (Object.keys(releases) as Release[]).map((key) => [key, release(key)]),
    ) as Record<Release, k8s.helm.v3.Release>;

    this.registerOutputs({
      namespace,
      otlpEndpoint: this.otlpEndpoint,
      prometheusQueryUrl: this.prometheusQueryUrl,
      grafanaUrl: this.grafanaUrl,
      buckets: Object.fromEntries(storageBackends.map((b) => [b, this.stores[b].bucket.bucket])),
    });
  }
}
