import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { PlannedResource } from "../../scripts/plan/plan-types.js";
import { loadServiceRegistry, type RegisteredService } from "../../services/registry.js";
import { dependencyRecorder } from "../../test/dependencies.js";
import { recorded } from "../../test/pulumi.js";
import { ImageRegistry } from "./image-registry.js";
import { Microservice, type MicroserviceArgs, validateMicroserviceArgs } from "./microservice.js";
import { NamespaceBaseline } from "./namespace-baseline.js";

const provider = new k8s.Provider("ms-test", { kubeconfig: "{}" });
/** Stand-ins for the controllers' Helm releases. */
const rollouts = new pulumi.ComponentResource("test:index:Controller", "ms-argo-rollouts");
const keda = new pulumi.ComponentResource("test:index:Controller", "ms-keda");

const dependencies = dependencyRecorder();
dependencies.label(rollouts, "rollouts-controller");
dependencies.label(keda, "keda-controller");
const waitsFor = dependencies.waitsFor;

let services: RegisteredService[];
const built = new Map<string, Microservice>();
const args = (service: RegisteredService): MicroserviceArgs => ({
  service,
  services,
  provider,
  namespace: "platform",
  repositoryUrl: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform-test/${service.name}`,
  version: "2026.11.25-1a2b3c4",
  networks: { isolatedCidrs: ["10.0.60.0/22"], kafkaCidrs: ["10.0.0.0/18"] },
  controllers: { rollouts, keda },
  ...(service.name === "search" ? { roleArn: "arn:aws:iam::123456789012:role/search" } : {}),
});

beforeAll(async () => {
  services = await loadServiceRegistry();
  for (const service of services)
    built.set(
      service.name,
      new Microservice(`ms-${service.name}`, args(service), {
        transformations: [dependencies.transformation],
      }),
    );
});

const under = async (service: string, type: string) => recorded(type, built.get(service)!);
const only = async (service: string, type: string): Promise<PlannedResource> => {
  const [first, ...rest] = await under(service, type);
  expect(rest).toEqual([]);
  return first!;
};
const spec = (r: PlannedResource) => r.inputs["spec"] as Record<string, unknown>;
const rolloutType = "kubernetes:argoproj.io/v1alpha1:Rollout";
const scalerType = "kubernetes:keda.sh/v1alpha1:ScaledObject";

describe("Microservice", () => {
  it("declares a canary Rollout whose steps follow the registry's weights, with analysis after each", async () => {
    for (const service of services.filter((s) => s.rollout.strategy === "canary")) {
      const { canary } = spec(await only(service.name, rolloutType))["strategy"] as {
        canary: { steps: Record<string, unknown>[]; canaryService: string; stableService: string };
      };
      const weights = canary.steps.filter((s) => "setWeight" in s).map((s) => s["setWeight"]);
      expect(weights, service.name).toEqual(
        service.rollout.strategy === "canary" ? service.rollout.weights : [],
      );
      canary.steps.forEach((step, i) => {
        if ("setWeight" in step) {
          expect(canary.steps[i + 1], service.name).toHaveProperty("pause");
          expect(canary.steps[i + 2], service.name).toMatchObject({
            analysis: { templates: [{ templateName: `${service.name}-analysis` }] },
          });
        }
      });
      expect([canary.canaryService, canary.stableService]).toEqual([
        `${service.name}-canary`,
        `${service.name}-stable`,
      ]);
    }
  });

  it("releases identity blue-green with pre-promotion analysis and promotion by a person", async () => {
    const strategy = spec(await only("identity", rolloutType))["strategy"] as Record<string, unknown>;
    expect(strategy).toEqual({
      blueGreen: expect.objectContaining({
        activeService: "identity",
        previewService: "identity-preview",
        autoPromotionEnabled: false,
        prePromotionAnalysis: expect.objectContaining({ templates: [{ templateName: "identity-analysis" }] }),
      }),
    });
  });

  it("leaves the replica count to the autoscaler: no replicas on the Rollout", async () => {
    for (const service of services)
      expect(spec(await only(service.name, rolloutType))).not.toHaveProperty("replicas");
  });

  it("runs the pinned image of the release", async () => {
    const template = spec(await only("orders", rolloutType))["template"] as {
      spec: { containers: { image: string }[] };
    };
    expect(template.spec.containers[0]!.image).toBe(
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform-test/orders:2026.11.25-1a2b3c4",
    );
  });

  it("judges canaries on Prometheus: success rate >= 99% and p99 < 200 ms of the canary's revision", async () => {
    const template = spec(await only("catalog", "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate"));
    const metrics = template["metrics"] as {
      name: string;
      provider: { prometheus: { address: string; query: string } };
    }[];
    expect(metrics.map((m) => m.name)).toEqual(["success-rate", "p99-latency"]);
    for (const m of metrics) {
      expect(m).toMatchObject({ interval: "1m", count: 5, failureLimit: 1 });
      expect(m.provider.prometheus.address).toBe(
        "http://mimir-query-frontend.observability.svc:8080/prometheus",
      );
      expect(m.provider.prometheus.query).toContain(
        'service="{{args.service}}",version="{{args.canary-hash}}"',
      );
    }
    expect(metrics[0]).toMatchObject({ successCondition: "len(result) > 0 && result[0] >= 0.99" });
    expect(metrics[1]).toMatchObject({ successCondition: "len(result) > 0 && result[0] < 0.2" });
  });

  it("scales each service with exactly one ScaledObject on its Rollout, and never with an HPA", async () => {
    for (const service of services) {
      const scaler = spec(await only(service.name, scalerType));
      expect(scaler).toMatchObject({
        scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: service.name },
        minReplicaCount: service.scaling.min,
        maxReplicaCount: 20,
      });
      const triggers = (scaler["triggers"] as { type: string; name: string }[]).map((t) => t.name);
      expect(triggers).toEqual([
        "cpu",
        "queue-depth",
        ...(service.consumedTopics.length > 0 ? ["consumer-lag"] : []),
      ]);
    }
    const autoscalers = (await recorded()).filter((r) => r.type.includes("HorizontalPodAutoscaler"));
    expect(autoscalers).toEqual([]);
  });

  it("makes its CustomResources wait for their controllers", () => {
    for (const service of services) {
      expect(waitsFor(`ms-${service.name}-rollout`), service.name).toContain("rollouts-controller");
      expect(waitsFor(`ms-${service.name}-analysis`), service.name).toContain("rollouts-controller");
      expect(waitsFor(`ms-${service.name}-scaler`), service.name).toEqual(
        expect.arrayContaining(["keda-controller", `ms-${service.name}-rollout`]),
      );
    }
  });

  it("lets one pod at a time be disrupted", async () => {
    expect(spec(await only("gateway", "kubernetes:policy/v1:PodDisruptionBudget"))).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": "gateway" } },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    });
  });

  it("gives the service a Service for callers plus the ones its strategy needs", async () => {
    const serviceNames = async (name: string) =>
      (await under(name, "kubernetes:core/v1:Service"))
        .map((s) => (s.inputs["metadata"] as { name: string }).name)
        .sort();
    expect(await serviceNames("catalog")).toEqual(["catalog", "catalog-canary", "catalog-stable"]);
    expect(await serviceNames("identity")).toEqual(["identity", "identity-preview"]);
  });

  it("annotates only a service account given a role with IRSA, and mounts no API token", async () => {
    const account = async (name: string) => (await only(name, "kubernetes:core/v1:ServiceAccount")).inputs;
    expect(await account("search")).toMatchObject({
      automountServiceAccountToken: false,
      metadata: { annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/search" } },
    });
    expect((await account("catalog"))["metadata"]).not.toHaveProperty("annotations");
  });

  it("generates the secrets a service declares into <service>-generated, and the Rollout waits for them", async () => {
    const generatedOf = async (name: string) =>
      (await under(name, "kubernetes:core/v1:Secret")).map(
        (s) => (s.inputs["metadata"] as { name: string }).name,
      );
    for (const service of services)
      expect(await generatedOf(service.name), service.name).toEqual(
        service.secrets.length > 0 ? [`${service.name}-generated`] : [],
      );
    expect(waitsFor("ms-identity-rollout")).toContain("ms-identity-generated");
    expect(waitsFor("ms-catalog-rollout")).not.toContain("ms-catalog-generated");
  });

  it("refuses a release that is not pinned, and a collector endpoint without a port", () => {
    const service = services[0]!;
    expect(() => validateMicroserviceArgs({ ...args(service), version: "latest" })).toThrow(
      /release version/,
    );
  });
});

describe("NamespaceBaseline", () => {
  const baseline = new NamespaceBaseline("ms-baseline", { provider, namespace: "platform" });
  it("denies all ingress and egress of every pod in the namespace", async () => {
    const [policy] = await recorded("kubernetes:networking.k8s.io/v1:NetworkPolicy", baseline);
    expect(policy!.inputs["spec"]).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });
});

describe("ImageRegistry", () => {
  const registry = new ImageRegistry("ms-images", {
    prefix: "platform-test",
    services: ["catalog", "orders"],
    tags: { owner: "t" },
  });
  it("gives each service an immutable, scanned, KMS-encrypted repository with a lifecycle policy", async () => {
    const repositories = await recorded("aws:ecr/repository:Repository", registry);
    expect(repositories.map((r) => r.inputs["name"]).sort()).toEqual([
      "platform-test/catalog",
      "platform-test/orders",
    ]);
    for (const r of repositories) {
      expect(r.inputs).toMatchObject({
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS" }],
      });
      expect((r.inputs["encryptionConfigurations"] as { kmsKey: string }[])[0]!.kmsKey).toMatch(
        /^arn:aws:kms:/,
      );
    }
    expect(await recorded("aws:ecr/lifecyclePolicy:LifecyclePolicy", registry)).toHaveLength(2);
  });
});
