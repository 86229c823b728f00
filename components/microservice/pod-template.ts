/**
 * The pod of a service, decided from its registry entry: image, ports, probes, resources,
 * a hardened security context, graceful termination, zone spread and the environment it
 * reads its connections from. Pure, so it is tested without mocks.
 */

import { addressVariable } from "../../contracts/service-spec.js";
import type { RegisteredService } from "../../services/registry.js";
import { postgresNames } from "../postgres/postgres-plan.js";
import { redisNames } from "../redis/redis-plan.js";
import { configMapName } from "../search/search-plan.js";
import { invalid } from "../shared/validation.js";
import { writeOnceConfigMapName } from "../write-once/write-once-plan.js";
import { nameLabel, servedThroughIngress } from "./network-policy-rules.js";
import { workloadServiceNames } from "./rollout-steps.js";

/** The non-root user (and group) every service image runs as. */
export const runAsUser = 10001;
/** The label Argo Rollouts puts on each revision's pods. */
export const revisionLabel = "rollouts-pod-template-hash";
export const zoneKey = "topology.kubernetes.io/zone";
/**
 * The OTLP protocol of the runtime's exporters (`@opentelemetry/exporter-*-otlp-proto`,
 * services/runtime/telemetry.ts): OTLP/HTTP with protobuf bodies, to the collector's port 4318.
 */
export const otlpProtocol = "http/protobuf";
/** The interface the process listens on (the runtime's `HOST`, 127.0.0.1 by default): all of the pod's. */
export const listenHost = "0.0.0.0";
export const hostKey = "kubernetes.io/hostname";
/** The cluster's DNS domain (EKS's CoreDNS serves `cluster.local`). */
export const clusterDomain = "cluster.local";

export interface PodOptions {
  /** The pinned image, `<repository>:<version>`. */
  readonly image: string;
  /** The release version, as OTel's `service.version`. */
  readonly version: string;
  /** The OTel Collector's OTLP/HTTP endpoint, `http://<host>:4318` (the runtime's exporters are OTLP/HTTP protobuf). */
  readonly otlpEndpoint: string;
  /** Seconds the pod keeps serving after it is marked terminating, while endpoints drop it. */
  readonly preStopSeconds: number;
  /** Seconds the process takes to drain in-flight work after SIGTERM. */
  readonly drainSeconds: number;
  /** The service account the pod runs as. */
  readonly serviceAccountName: string;
  /** The workload namespace, where callees' Services are. */
  readonly namespace: string;
  /** The whole registry: callees' ports. */
  readonly services: readonly RegisteredService[];
}

/** Refuses an image that is not pinned to a release: no `latest`, no tag-less image. */
export function requirePinnedImage(image: string, propertyPath = "image"): void {
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  if (!image.includes("@sha256:") && (tag === undefined || tag === "latest"))
    invalid(propertyPath, `"${image}" is not pinned: expected <repository>:<release version> or a digest`);
}

/** The grace period: longer than preStop plus the drain, with a margin for the runtime to stop. */
export function terminationGracePeriod(preStopSeconds: number, drainSeconds: number): number {
  return preStopSeconds + drainSeconds + 5;
}

const secretEnv = (name: string, secret: string, key: string) => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});
const configEnv = (name: string, configMap: string, key: string) => ({
  name,
  valueFrom: { configMapKeyRef: { name: configMap, key } },
});
const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * The environment, by store (see the Microservice doc comment for the contract):
 * Postgres `POSTGRES_URL`; Redis `REDIS_URL`, `REDIS_KEY_PREFIX`; Kafka `KAFKA_BROKERS`,
 * `KAFKA_USERNAME`, `KAFKA_PASSWORD`, `KAFKA_SASL_MECHANISM`, `KAFKA_CLIENT_ID` and, for
 * consumers, `KAFKA_CONSUMER_GROUP` and `KAFKA_TOPICS`; OpenSearch `OPENSEARCH_ENDPOINT`, `AWS_REGION`.
 */
export function storeEnv(service: RegisteredService) {
  const env: object[] = [];
  if (service.stores.includes("postgres"))
    // The login role only; the `migrate` init container applied the schema as the owner.
    env.push(secretEnv("POSTGRES_URL", postgresNames(service.name).secret, "url"), {
      name: "POSTGRES_MIGRATIONS",
      value: "check",
    });
  if (service.stores.includes("redis")) {
    const secret = redisNames(service.name).secret;
    env.push(secretEnv("REDIS_URL", secret, "url"), secretEnv("REDIS_KEY_PREFIX", secret, "keyPrefix"));
  }
  if (service.topic !== undefined || service.consumedTopics.length > 0) {
    const secret = `${service.name}-kafka`;
    env.push(
      secretEnv("KAFKA_BROKERS", secret, "brokers"),
      secretEnv("KAFKA_USERNAME", secret, "username"),
      secretEnv("KAFKA_PASSWORD", secret, "password"),
      secretEnv("KAFKA_SASL_MECHANISM", secret, "mechanism"),
      secretEnv("KAFKA_CLIENT_ID", secret, "clientId"),
    );
    if (service.consumedTopics.length > 0)
      env.push(secretEnv("KAFKA_CONSUMER_GROUP", secret, "consumerGroup"), {
        // Derived from the registry ("all" resolved), like the ACLs that allow reading them.
        name: "KAFKA_TOPICS",
        value: service.consumedTopics.join(","),
      });
  }
  if (service.stores.includes("write-once")) {
    const configMap = writeOnceConfigMapName(service.name);
    env.push(configEnv("WRITE_ONCE_URL", configMap, "url"), configEnv("AWS_REGION", configMap, "region"));
  }
  if (service.stores.includes("opensearch")) {
    const configMap = configMapName(service.name);
    env.push(
      configEnv("OPENSEARCH_ENDPOINT", configMap, "endpoint"),
      configEnv("AWS_REGION", configMap, "region"),
    );
  }
  return env;
}

/** The Secret holding what the Pulumi program generated for a service (its registry `secrets`). */
export const generatedSecretName = (service: string) => `${service}-generated`;

/** Each secret the registry entry declares, from Secret `<service>-generated` under its variable's name. */
export function generatedSecretEnv(service: RegisteredService) {
  return service.secrets.map((s) => secretEnv(s.env, generatedSecretName(service.name), s.env));
}

/** The Secret with a calling service's call signing key (components/microservice/service-identities.ts). */
export const callKeySecretName = (service: string) => `${service}-call-key`;
/** The ConfigMap with who may call a gRPC service: its callers' public keys. */
export const callersConfigMapName = (service: string) => `${service}-callers`;

/**
 * Service-to-service authentication (contracts/caller-keys.ts): a caller's
 * `CALL_SIGNING_KEY` from its Secret, a gRPC service's `CALLER_KEYS` and `PRINCIPAL_CALLERS`
 * from its ConfigMap.
 */
export function callerIdentityEnv(service: RegisteredService) {
  return [
    ...(service.calls.length > 0
      ? [secretEnv("CALL_SIGNING_KEY", callKeySecretName(service.name), "CALL_SIGNING_KEY")]
      : []),
    ...(service.protocol === "grpc"
      ? ["CALLER_KEYS", "PRINCIPAL_CALLERS"].map((v) => configEnv(v, callersConfigMapName(service.name), v))
      : []),
  ];
}

/**
 * Where a caller dials `callee`: its main Service (every pod of a canary, the active
 * revision of a blue-green rollout) by its cluster DNS name, on the callee's port.
 */
export function serviceAddress(callee: RegisteredService, namespace: string): string {
  return `${workloadServiceNames(callee.name).main}.${namespace}.svc.${clusterDomain}:${callee.port}`;
}

/**
 * `<CALLEE>_ADDRESS` for each service in `calls`: the runtime's defaults are 127.0.0.1,
 * right only in local mode.
 */
export function calleeEnv(
  service: RegisteredService,
  services: readonly RegisteredService[],
  namespace: string,
) {
  return service.calls.map((name) => {
    const callee = services.find((s) => s.name === name);
    if (!callee) throw new Error(`${service.name} calls ${name}, which is not in the registry`);
    return { name: addressVariable(name), value: serviceAddress(callee, namespace) };
  });
}

/**
 * The one hop in front of the service behind the ingress: ingress-nginx resolves the client
 * from Cloudflare's `CF-Connecting-IP` (trusted only from the NLB inside the VPC) and sends it
 * as the only `X-Forwarded-For` entry (no compute-full-forwarded-for); the NetworkPolicy
 * admits nothing else to the port. Without it every anonymous client would share the
 * ingress pods' addresses, and their rate limits.
 */
export function ingressEnv(service: RegisteredService) {
  return servedThroughIngress(service) ? [{ name: "TRUSTED_PROXY_HOPS", value: "1" }] : [];
}

/**
 * The process's own settings (services/runtime/config.ts `runtimeEnv`) and its OpenTelemetry
 * export. Metrics are pushed over OTLP with traces and logs: the process serves no `/metrics`.
 */
export function runtimeEnv(service: RegisteredService, options: PodOptions) {
  return [
    // The runtime listens on 127.0.0.1 unless told otherwise: probes and callers come from outside.
    { name: "HOST", value: listenHost },
    { name: "PORT", value: String(service.port) },
    { name: "SHUTDOWN_DRAIN_SECONDS", value: String(options.drainSeconds) },
    fieldEnv("POD_NAME", "metadata.name"),
    fieldEnv("POD_NAMESPACE", "metadata.namespace"),
    fieldEnv("NODE_NAME", "spec.nodeName"),
    // The revision under test: request metrics carry it as their `version` label.
    fieldEnv("SERVICE_REVISION", `metadata.labels['${revisionLabel}']`),
    // No ZONE: the zone is a node label the downward API cannot read (Kubernetes 1.33), so
    // the runtime reports "unknown" and the collector's agent fills the `zone` label and
    // `cloud.availability_zone` from the node it runs on (components/observability/collector-config.ts).
    { name: "OTEL_SERVICE_NAME", value: service.name },
    { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: options.otlpEndpoint },
    { name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: otlpProtocol },
    {
      name: "OTEL_RESOURCE_ATTRIBUTES",
      value: [
        `service.version=${options.version}`,
        "service.namespace=platform",
        "k8s.pod.name=$(POD_NAME)",
        "k8s.namespace.name=$(POD_NAMESPACE)",
        "k8s.node.name=$(NODE_NAME)",
        "platform.revision=$(SERVICE_REVISION)",
      ].join(","),
    },
  ];
}

/** Readiness, liveness and startup probes: gRPC health for gRPC services, /readyz and /healthz for HTTP. */
export function probes(service: RegisteredService) {
  const check = (path: string) =>
    service.protocol === "grpc" ? { grpc: { port: service.port } } : { httpGet: { path, port: "http" } };
  return {
    readinessProbe: { ...check("/readyz"), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { ...check("/healthz"), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    startupProbe: { ...check("/healthz"), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
  };
}

/** The restricted-profile security context of the container. */
export const containerSecurityContext = {
  runAsNonRoot: true,
  runAsUser,
  runAsGroup: runAsUser,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
} as const;

/**
 * Spread: at most one pod difference between zones (hard: a zone's loss must leave pods
 * elsewhere) and between nodes (soft), counted per revision so a canary spreads too;
 * plus a preference for another zone than the service's other pods.
 */
export function placement(service: string) {
  const selector = { matchLabels: { [nameLabel]: service } };
  const spread = (topologyKey: string, whenUnsatisfiable: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: selector,
    matchLabelKeys: [revisionLabel],
  });
  return {
    topologySpreadConstraints: [spread(zoneKey, "DoNotSchedule"), spread(hostKey, "ScheduleAnyway")],
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: zoneKey, labelSelector: selector } },
        ],
      },
    },
  };
}

/**
 * For a Postgres service, the init container that applies its migrations as the database's
 * owner (`node main.mjs migrate`) before the service starts. The owner's credentials reach
 * this container alone, so the serving one cannot change the schema nor disable audit's
 * append-only triggers, whatever runs in it.
 */
export function migrationContainers(service: RegisteredService, options: Pick<PodOptions, "image">) {
  if (!service.stores.includes("postgres")) return [];
  return [
    {
      name: "migrate",
      image: options.image,
      imagePullPolicy: "IfNotPresent",
      args: ["migrate"],
      env: [secretEnv("POSTGRES_MIGRATION_URL", postgresNames(service.name).ownerSecret, "url")],
      resources: {
        requests: { cpu: service.resources.cpu, memory: service.resources.memory },
        limits: { cpu: service.resources.cpuLimit, memory: service.resources.memoryLimit },
      },
      securityContext: containerSecurityContext,
    },
  ];
}

/** The pod template's `spec`. */
export function podSpec(service: RegisteredService, options: PodOptions) {
  requirePinnedImage(options.image);
  const migrations = migrationContainers(service, options);
  const portName = service.protocol === "grpc" ? "grpc" : "http";
  return {
    serviceAccountName: options.serviceAccountName,
    // No Kubernetes API token: no service calls the API server. IRSA needs none either, its
    // webhook projects its own STS-audience token.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser,
      runAsGroup: runAsUser,
      fsGroup: runAsUser,
      seccompProfile: { type: "RuntimeDefault" },
    },
    terminationGracePeriodSeconds: terminationGracePeriod(options.preStopSeconds, options.drainSeconds),
    ...placement(service.name),
    ...(migrations.length > 0 ? { initContainers: migrations } : {}),
    containers: [
      {
        name: service.name,
        image: options.image,
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: portName, containerPort: service.port, protocol: "TCP" }],
        env: [
          ...runtimeEnv(service, options),
          ...storeEnv(service),
          ...generatedSecretEnv(service),
          ...callerIdentityEnv(service),
          ...calleeEnv(service, options.services, options.namespace),
          ...ingressEnv(service),
        ],
        resources: {
          requests: { cpu: service.resources.cpu, memory: service.resources.memory },
          limits: { cpu: service.resources.cpuLimit, memory: service.resources.memoryLimit },
        },
        ...probes(service),
        // Keep serving while endpoints and load balancers drop the pod, then SIGTERM drains.
        lifecycle: { preStop: { sleep: { seconds: options.preStopSeconds } } },
        securityContext: containerSecurityContext,
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
    ],
    volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }],
  };
}
