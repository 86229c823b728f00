import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RegisteredService } from "../../services/registry.js";
import { invalid, requireWholeNumber } from "../shared/validation.js";
import {
  analysisConditions,
  p99LatencyQuery,
  type SeriesSelector,
  successRateQuery,
} from "./analysis-queries.js";
import { GeneratedSecrets } from "./generated-secrets.js";
import { imageReference, requireReleaseVersion } from "./image.js";
import { nameLabel, type StoreNetworks, serviceNetworkPolicySpec } from "./network-policy-rules.js";
import { podSpec } from "./pod-template.js";
import { managedServiceNames, rolloutStrategy, workloadServiceNames } from "./rollout-steps.js";
import { scaledObjectSpec } from "./scaling.js";

/** The controllers whose CustomResourceDefinitions the workload's objects need. */
export interface WorkloadControllers {
  /** The Argo Rollouts release (Rollout, AnalysisTemplate). */
  readonly rollouts: pulumi.Resource;
  /** The KEDA release (ScaledObject). */
  readonly keda: pulumi.Resource;
}

export interface MicroserviceArgs {
  /** The service, from the registry: port, protocol, stores, scaling, rollout, resources. */
  readonly service: RegisteredService;
  /** The whole registry: callees' ports for the NetworkPolicy and the callees' addresses. */
  readonly services: readonly RegisteredService[];
  /** The cluster's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /**
   * The workload namespace, where callees are dialled; pass the Namespace's name Output so
   * objects wait for it.
   */
  readonly namespace: pulumi.Input<string>;
  /** The service's ECR repository URL. */
  readonly repositoryUrl: pulumi.Input<string>;
  /** The release version to run, e.g. "2026.11.25-1a2b3c4"; never "latest". */
  readonly version: string;
  /** Where the data stores and Kafka listen, for the NetworkPolicy's egress. */
  readonly networks: StoreNetworks;
  /** The controllers the CustomResources depend on. */
  readonly controllers: WorkloadControllers;
  /** The IRSA role the service account assumes (only for services calling AWS APIs). Default: none. */
  readonly roleArn?: pulumi.Input<string>;
  /** The Prometheus-compatible query endpoint for analysis and scaling. Default: Mimir's query frontend. */
  readonly prometheusAddress?: string;
  /**
   * The OTel Collector's OTLP/HTTP endpoint, `http://<host>:<port>`: the runtime exports
   * traces, metrics and logs as OTLP/HTTP protobuf. Default: `http://otel-collector.observability.svc:4318`.
   */
  readonly otlpEndpoint?: string;
  /** Seconds the process drains after SIGTERM. Default: 20. */
  readonly drainSeconds?: number;
  /** Seconds of preStop sleep while endpoints drop the pod. Default: 5. */
  readonly preStopSeconds?: number;
  /** Unhandled events per pod that add a consumer pod. Default: 1000. */
  readonly consumerLagPerPod?: number;
  /** The ingress controller's namespace. Default: "ingress-nginx". */
  readonly ingressNamespace?: string;
  /** The observability namespace. Default: "observability". */
  readonly observabilityNamespace?: string;
}

export const microserviceDefaults = {
  prometheusAddress: "http://mimir-query-frontend.observability.svc:8080/prometheus",
  otlpEndpoint: "http://otel-collector.observability.svc:4318",
  drainSeconds: 20,
  preStopSeconds: 5,
  consumerLagPerPod: 1000,
  ingressNamespace: "ingress-nginx",
  observabilityNamespace: "observability",
} as const;

export function validateMicroserviceArgs(args: MicroserviceArgs): void {
  requireReleaseVersion(args.version);
  if (!args.services.some((s) => s.name === args.service.name))
    invalid("services", `the registry does not contain ${args.service.name}`);
  requireWholeNumber(args.drainSeconds ?? 0, "drainSeconds", { min: 0, max: 300 });
  requireWholeNumber(args.preStopSeconds ?? 1, "preStopSeconds", { min: 1, max: 60 });
  if (args.otlpEndpoint !== undefined && !/^http:\/\/[^/:]+:\d+$/.test(args.otlpEndpoint))
    invalid("otlpEndpoint", `expected http://<host>:<port>, got "${args.otlpEndpoint}"`);
  if (args.networks.isolatedCidrs.length === 0 || args.networks.kafkaCidrs.length === 0)
    invalid("networks", "expected the isolated and Kafka subnet CIDRs");
}

/**
 * One service on the cluster, all of it from its registry entry: an Argo Rollouts
 * `Rollout` (canary steps with Prometheus analysis and automatic rollback, or blue-green
 * with pre-promotion analysis), its `AnalysisTemplate`, the Services callers and the
 * strategy use, a KEDA `ScaledObject` (its only autoscaler; the Rollout has no replicas),
 * a PodDisruptionBudget, a NetworkPolicy and a ServiceAccount.
 *
 * The pod's environment is the contract with the service runtime:
 * - `HOST` (0.0.0.0), `PORT`, `SHUTDOWN_DRAIN_SECONDS` (services/runtime/config.ts `runtimeEnv`);
 * - `POSTGRES_URL` from Secret `<service>-postgres` key `url`;
 * - `REDIS_URL`, `REDIS_KEY_PREFIX` from Secret `<service>-redis` keys `url`, `keyPrefix`;
 * - `KAFKA_BROKERS`, `KAFKA_USERNAME`, `KAFKA_PASSWORD`, `KAFKA_SASL_MECHANISM`,
 *   `KAFKA_CLIENT_ID` (and `KAFKA_CONSUMER_GROUP` for consumers) from Secret `<service>-kafka`;
 * - `OPENSEARCH_ENDPOINT`, `AWS_REGION` from ConfigMap `<service>-opensearch` (SigV4 with IRSA);
 * - each variable of the registry's `secrets` from Secret `<service>-generated`, which a
 *   child `GeneratedSecrets` generates once and never rotates (key-encryption keys);
 * - `<CALLEE>_ADDRESS` for each service in `calls`: `<callee>.<namespace>.svc.cluster.local:<port>`,
 *   the callee's main Service (both revisions of a canary, the active one of a blue-green);
 * - `TRUSTED_PROXY_HOPS=1` for the service behind the ingress (ingress-nginx's one hop);
 * - `OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector's OTLP/HTTP port),
 *   `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`), `OTEL_RESOURCE_ATTRIBUTES` (service.version,
 *   pod, namespace, node, revision). Traces, metrics and logs are all pushed over OTLP: the
 *   process serves no Prometheus `/metrics` and nothing scrapes it;
 * - `POD_NAME`, `POD_NAMESPACE`, `NODE_NAME`, and `SERVICE_REVISION` (the rollout's pod
 *   template hash, which request metrics carry as their `version` label). No `ZONE`: the
 *   collector's agent sets the `zone` label from the node's `topology.kubernetes.io/zone`.
 */
export class Microservice extends pulumi.ComponentResource {
  static readonly type = "platform:workload:Microservice";

  readonly rollout: k8s.apiextensions.CustomResource;
  readonly analysisTemplate: k8s.apiextensions.CustomResource;
  readonly scaledObject: k8s.apiextensions.CustomResource;
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
  readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
  /** The Service callers dial, `<service>.<namespace>.svc`. */
  readonly mainService: k8s.core.v1.Service;
  /** The secrets the registry entry declares, when it declares any. */
  readonly generatedSecrets: GeneratedSecrets | undefined;

  constructor(name: string, args: MicroserviceArgs, opts?: pulumi.ComponentResourceOptions) {
    validateMicroserviceArgs(args);
    const { service } = args;
    super(Microservice.type, name, { service: service.name, version: args.version }, opts);
    const d = microserviceDefaults;
    const settings = {
      prometheusAddress: args.prometheusAddress ?? d.prometheusAddress,
      otlpEndpoint: args.otlpEndpoint ?? d.otlpEndpoint,
      drainSeconds: args.drainSeconds ?? d.drainSeconds,
      preStopSeconds: args.preStopSeconds ?? d.preStopSeconds,
      consumerLagPerPod: args.consumerLagPerPod ?? d.consumerLagPerPod,
      ingressNamespace: args.ingressNamespace ?? d.ingressNamespace,
      observabilityNamespace: args.observabilityNamespace ?? d.observabilityNamespace,
    };
    const k8sOpts = { parent: this, provider: args.provider };
    const labels = {
      [nameLabel]: service.name,
      "app.kubernetes.io/part-of": "platform",
      "app.kubernetes.io/managed-by": "pulumi",
    };
    const metadata = (objectName: string, extra: Record<string, string> = {}) => ({
      name: objectName,
      namespace: args.namespace,
      labels: { ...labels, ...extra },
    });

    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          ...metadata(service.name),
          ...(args.roleArn !== undefined
            ? { annotations: { "eks.amazonaws.com/role-arn": args.roleArn } }
            : {}),
        },
        automountServiceAccountToken: false,
      },
      k8sOpts,
    );

    const portName = service.protocol === "grpc" ? "grpc" : "http";
    const kubeService = (objectName: string) =>
      new k8s.core.v1.Service(
        `${name}-${objectName === service.name ? "svc" : objectName.slice(service.name.length + 1)}`,
        {
          metadata: metadata(objectName),
          spec: {
            type: "ClusterIP",
            selector: { [nameLabel]: service.name },
            ports: [
              {
                name: portName,
                port: service.port,
                targetPort: portName,
                protocol: "TCP",
                ...(service.protocol === "grpc" ? { appProtocol: "kubernetes.io/h2c" } : {}),
              },
            ],
          },
        },
        // Argo Rollouts adds the revision to the selectors of the Services it manages.
        { ...k8sOpts, ignoreChanges: ["spec.selector"] },
      );
    this.mainService = kubeService(workloadServiceNames(service.name).main);
    const strategyServices = managedServiceNames(service).map(kubeService);

    const templateName = `${service.name}-analysis`;
    const selector: SeriesSelector = { service: "{{args.service}}", version: "{{args.canary-hash}}" };
    const prometheus = (query: string) => ({
      prometheus: { address: settings.prometheusAddress, query, timeout: 30 },
    });
    const measured = { interval: "1m", count: 5, failureLimit: 1, consecutiveErrorLimit: 3 };
    this.analysisTemplate = new k8s.apiextensions.CustomResource(
      `${name}-analysis`,
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        metadata: metadata(templateName),
        spec: {
          args: [{ name: "service" }, { name: "canary-hash" }],
          metrics: [
            {
              name: "success-rate",
              ...measured,
              successCondition: analysisConditions.successRate.success,
              failureCondition: analysisConditions.successRate.failure,
              provider: prometheus(successRateQuery(selector)),
            },
            {
              name: "p99-latency",
              ...measured,
              successCondition: analysisConditions.p99Latency.success,
              failureCondition: analysisConditions.p99Latency.failure,
              provider: prometheus(p99LatencyQuery(selector)),
            },
          ],
        },
      },
      { ...k8sOpts, dependsOn: [args.controllers.rollouts] },
    );

    this.generatedSecrets =
      service.secrets.length > 0
        ? new GeneratedSecrets(
            `${name}-generated`,
            { service, provider: args.provider, namespace: args.namespace },
            { parent: this },
          )
        : undefined;

    const template = pulumi.all([args.repositoryUrl, args.namespace]).apply(([url, namespace]) => ({
      metadata: { labels: { ...labels, "app.kubernetes.io/version": args.version } },
      spec: podSpec(service, {
        image: imageReference(url, args.version),
        version: args.version,
        otlpEndpoint: settings.otlpEndpoint,
        preStopSeconds: settings.preStopSeconds,
        drainSeconds: settings.drainSeconds,
        serviceAccountName: service.name,
        namespace,
        services: args.services,
      }),
    }));
    // No `replicas`: the ScaledObject owns the count and Pulumi never resets it.
    this.rollout = new k8s.apiextensions.CustomResource(
      `${name}-rollout`,
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: metadata(service.name),
        spec: {
          selector: { matchLabels: { [nameLabel]: service.name } },
          revisionHistoryLimit: 5,
          minReadySeconds: 10,
          progressDeadlineSeconds: 600,
          progressDeadlineAbort: true,
          template,
          strategy: rolloutStrategy(service, templateName),
        },
      },
      {
        ...k8sOpts,
        dependsOn: [
          args.controllers.rollouts,
          this.analysisTemplate,
          this.serviceAccount,
          ...strategyServices,
          ...(this.generatedSecrets ? [this.generatedSecrets] : []),
        ],
        ignoreChanges: ["spec.replicas"],
      },
    );

    this.scaledObject = new k8s.apiextensions.CustomResource(
      `${name}-scaler`,
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: metadata(service.name),
        spec: scaledObjectSpec(service, {
          rolloutName: service.name,
          prometheusAddress: settings.prometheusAddress,
          consumerLagPerPod: settings.consumerLagPerPod,
        }),
      },
      { ...k8sOpts, dependsOn: [args.controllers.keda, this.rollout] },
    );

    // One pod at a time: at the minimum of 2 a drain still leaves one serving, and a
    // crash-looping pod never blocks a drain.
    this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: metadata(service.name),
        spec: {
          maxUnavailable: 1,
          selector: { matchLabels: { [nameLabel]: service.name } },
          unhealthyPodEvictionPolicy: "AlwaysAllow",
        },
      },
      k8sOpts,
    );

    this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata: metadata(service.name),
        spec: serviceNetworkPolicySpec(service, {
          ...args.networks,
          services: args.services,
          ingressNamespace: settings.ingressNamespace,
          observabilityNamespace: settings.observabilityNamespace,
          otlpPort: Number(new URL(settings.otlpEndpoint).port),
          callsAwsApis: args.roleArn !== undefined,
        }),
      },
      k8sOpts,
    );

    this.registerOutputs({
      rollout: this.rollout.metadata.name,
      service: this.mainService.metadata.name,
      scaledObject: this.scaledObject.metadata.name,
    });
  }
}
