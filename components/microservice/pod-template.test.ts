import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { loadServiceRegistry, type RegisteredService } from "../../services/registry.js";
import { type PodOptions, podSpec, requirePinnedImage, terminationGracePeriod } from "./pod-template.js";

let byName: Map<string, RegisteredService>;
beforeAll(async () => {
  byName = new Map((await loadServiceRegistry()).map((s) => [s.name, s]));
});
const options: Omit<PodOptions, "services"> = {
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform-prod/catalog:2026.11.25-1a2b3c4",
  version: "2026.11.25-1a2b3c4",
  otlpEndpoint: "http://otel-collector.observability.svc:4318",
  preStopSeconds: 5,
  drainSeconds: 20,
  serviceAccountName: "catalog",
  namespace: "platform",
};
const pod = (name: string, extra: Partial<PodOptions> = {}) =>
  podSpec(byName.get(name)!, { ...options, services: [...byName.values()], ...extra });
const container = (name: string) => pod(name).containers[0]!;
const env = (name: string) =>
  Object.fromEntries(container(name).env.map((e) => [(e as { name: string }).name, e]));

describe("the pod", () => {
  it("probes gRPC services with gRPC health checks on their port", () => {
    const c = container("catalog");
    expect(c.readinessProbe).toMatchObject({ grpc: { port: 7102 } });
    expect(c.livenessProbe).toMatchObject({ grpc: { port: 7102 } });
    expect(c.startupProbe).toMatchObject({ grpc: { port: 7102 } });
  });

  it("probes the HTTP gateway on /readyz and /healthz", () => {
    const c = container("gateway");
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/readyz", port: "http" } });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "http" } });
    expect(c.ports[0]).toEqual({ name: "http", containerPort: 8080, protocol: "TCP" });
  });

  it("requests and limits the registry's resources", () => {
    expect(container("audit").resources).toEqual({
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
  });

  it("runs non-root as 10001 on a read-only root with every capability dropped, /tmp in an emptyDir", () => {
    const p = pod("orders");
    expect(p.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(p.containers[0]!.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(p.containers[0]!.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(p.volumes[0]).toMatchObject({ name: "tmp", emptyDir: {} });
    expect(p.automountServiceAccountToken).toBe(false);
  });

  it("sleeps in preStop, then allows longer than preStop plus the drain before killing", () => {
    const p = pod("orders", { preStopSeconds: 7, drainSeconds: 30 });
    expect(p.containers[0]!.lifecycle).toEqual({ preStop: { sleep: { seconds: 7 } } });
    expect(p.terminationGracePeriodSeconds).toBeGreaterThan(7 + 30);
    expect(terminationGracePeriod(5, 20)).toBe(30);
  });

  it("spreads pods over zones (hard) and nodes (soft) per revision, preferring other zones", () => {
    const p = pod("catalog");
    expect(p.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "DoNotSchedule",
        matchLabelKeys: ["rollouts-pod-template-hash"],
      }),
      expect.objectContaining({
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
      }),
    ]);
    expect(p.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]).toMatchObject({
      podAffinityTerm: {
        topologyKey: "topology.kubernetes.io/zone",
        labelSelector: { matchLabels: { "app.kubernetes.io/name": "catalog" } },
      },
    });
  });

  it("reads each store's connection from its Secret or ConfigMap, and only the stores it declares", () => {
    expect(env("catalog")["POSTGRES_URL"]).toEqual({
      name: "POSTGRES_URL",
      valueFrom: { secretKeyRef: { name: "catalog-postgres", key: "url" } },
    });
    expect(env("catalog")["REDIS_URL"]).toMatchObject({
      valueFrom: { secretKeyRef: { name: "catalog-redis", key: "url" } },
    });
    expect(env("search")["OPENSEARCH_ENDPOINT"]).toEqual({
      name: "OPENSEARCH_ENDPOINT",
      valueFrom: { configMapKeyRef: { name: "search-opensearch", key: "endpoint" } },
    });
    expect(env("search")["KAFKA_CONSUMER_GROUP"]).toMatchObject({
      valueFrom: { secretKeyRef: { name: "search-kafka" } },
    });
    expect(env("catalog")["KAFKA_CONSUMER_GROUP"]).toBeUndefined();
    expect(env("search")["KAFKA_TOPICS"]).toEqual({ name: "KAFKA_TOPICS", value: "catalog.events.v1" });
    expect(env("audit")["KAFKA_TOPICS"]).toMatchObject({
      value: expect.stringContaining("orders.events.v1"),
    });
    expect(env("search")["POSTGRES_URL"]).toBeUndefined();
    expect(env("gateway")["KAFKA_BROKERS"]).toBeUndefined();
  });

  it("migrates as the database owner in an init container; the serving container only checks, as the login role", () => {
    const [migrate, ...others] = pod("audit").initContainers!;
    expect(others).toEqual([]);
    expect(migrate).toMatchObject({ name: "migrate", args: ["migrate"], image: options.image });
    expect(migrate!.env).toEqual([
      {
        name: "POSTGRES_MIGRATION_URL",
        valueFrom: { secretKeyRef: { name: "audit-postgres-owner", key: "url" } },
      },
    ]);
    expect(migrate!.securityContext).toEqual(container("audit").securityContext);
    expect(env("audit")["POSTGRES_MIGRATIONS"]).toEqual({ name: "POSTGRES_MIGRATIONS", value: "check" });
    expect(JSON.stringify(container("audit"))).not.toContain("postgres-owner");
    expect(pod("search").initContainers).toBeUndefined();
  });

  it("names the service, version, collector and revision for OpenTelemetry", () => {
    const e = env("orders");
    expect(e["OTEL_SERVICE_NAME"]).toEqual({ name: "OTEL_SERVICE_NAME", value: "orders" });
    expect(e["OTEL_EXPORTER_OTLP_ENDPOINT"]).toMatchObject({
      value: "http://otel-collector.observability.svc:4318",
    });
    expect((e["OTEL_RESOURCE_ATTRIBUTES"] as { value: string }).value).toContain(
      "service.version=2026.11.25-1a2b3c4",
    );
    expect(e["SERVICE_REVISION"]).toMatchObject({
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['rollouts-pod-template-hash']" } },
    });
    expect(e["PORT"]).toEqual({ name: "PORT", value: "7104" });
  });

  it("exports over OTLP/HTTP protobuf, as the runtime's exporter-*-otlp-proto packages speak", () => {
    for (const name of ["orders", "gateway"])
      expect(env(name)["OTEL_EXPORTER_OTLP_PROTOCOL"], name).toEqual({
        name: "OTEL_EXPORTER_OTLP_PROTOCOL",
        value: "http/protobuf",
      });
  });

  it("listens on every interface of the pod, not the runtime's 127.0.0.1 default", () => {
    for (const name of ["catalog", "gateway"])
      expect(env(name)["HOST"], name).toEqual({ name: "HOST", value: "0.0.0.0" });
  });

  it("exposes only the service port: metrics are pushed over OTLP, never scraped", () => {
    expect(container("catalog").ports).toEqual([{ name: "grpc", containerPort: 7102, protocol: "TCP" }]);
    expect(env("catalog")["METRICS_PORT"]).toBeUndefined();
  });

  it("takes each secret the registry declares from the service's generated Secret, and only those", () => {
    expect(env("identity")["IDENTITY_KEY_ENCRYPTION_KEY"]).toEqual({
      name: "IDENTITY_KEY_ENCRYPTION_KEY",
      valueFrom: { secretKeyRef: { name: "identity-generated", key: "IDENTITY_KEY_ENCRYPTION_KEY" } },
    });
    expect(env("notifications")["NOTIFICATIONS_KEY_ENCRYPTION_KEY"]).toMatchObject({
      valueFrom: { secretKeyRef: { name: "notifications-generated" } },
    });
    const fromGenerated = (name: string) =>
      container(name).env.filter((e) => JSON.stringify(e).includes(`"${name}-generated"`));
    expect(fromGenerated("catalog")).toEqual([]);
  });

  it("tells each caller where its callees' main Services are, by cluster DNS name and port", () => {
    expect(env("orders")["CATALOG_ADDRESS"]).toEqual({
      name: "CATALOG_ADDRESS",
      value: "catalog.platform.svc.cluster.local:7102",
    });
    expect(env("search")["CATALOG_ADDRESS"]).toMatchObject({
      value: "catalog.platform.svc.cluster.local:7102",
    });
    const gateway = env("gateway");
    for (const callee of byName.get("gateway")!.calls)
      expect(gateway[`${callee.toUpperCase()}_ADDRESS`], callee).toEqual({
        name: `${callee.toUpperCase()}_ADDRESS`,
        value: `${callee}.platform.svc.cluster.local:${byName.get(callee)!.port}`,
      });
    // identity's main Service is its active revision (blue-green), never the preview.
    expect(gateway["IDENTITY_ADDRESS"]).toMatchObject({ value: "identity.platform.svc.cluster.local:7101" });
    expect(Object.keys(env("catalog")).filter((k) => k.endsWith("_ADDRESS"))).toEqual([]);
    expect(pod("orders", { namespace: "shop" }).containers[0]!.env).toContainEqual({
      name: "CATALOG_ADDRESS",
      value: "catalog.shop.svc.cluster.local:7102",
    });
  });

  it("trusts exactly the ingress's X-Forwarded-For hop in the service behind it, and nowhere else", () => {
    expect(env("gateway")["TRUSTED_PROXY_HOPS"]).toEqual({ name: "TRUSTED_PROXY_HOPS", value: "1" });
    expect(env("orders")["TRUSTED_PROXY_HOPS"]).toBeUndefined();
  });

  it("leaves ZONE unset: the runtime's \"unknown\" is replaced by the collector from the node's zone", () => {
    expect(env("catalog")["ZONE"]).toBeUndefined();
  });

  it("refuses an image that is not pinned", () => {
    for (const image of ["repo/catalog", "repo/catalog:latest", "registry:5000/catalog"])
      expect(() => requirePinnedImage(image), image).toThrow(pulumi.InputPropertyError);
    expect(() => requirePinnedImage("repo/catalog@sha256:abc")).not.toThrow();
    expect(() => pod("catalog", { image: "repo/catalog:latest" })).toThrow(/not pinned/);
  });
});
