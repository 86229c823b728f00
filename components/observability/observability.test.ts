import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { awsAccountId } from "../../scripts/plan/cloud-facts.js";
import type { PlannedResource } from "../../scripts/plan/plan-types.js";
import { idOf, outputValue, recorded, spec } from "../../test/pulumi.js";
import { charts, releases, storageBackends } from "./backends.js";
import { agentConfig } from "./collector-config.js";
import { Observability, type ObservabilityArgs, validateObservabilityArgs } from "./observability.js";

// Chart values are free-form nested objects; the tests read them by path.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Values = Record<string, any>;

const platform = spec();
const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
const k8sProvider = new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
const args: ObservabilityArgs = {
  prefix: "platform-prod",
  region: platform.region,
  zones: platform.network.zones,
  k8sProvider,
  irsa: {
    oidcProvider: { arn: `arn:aws:iam::${awsAccountId}:oidc-provider/${issuer}` },
    oidcIssuerUrl: issuer,
  },
  resourceAttributes: { "deployment.environment.name": "prod", "k8s.cluster.name": "platform-prod" },
  baselineSamplingPercent: 10,
  retentionDays: { metrics: 395, logs: 30, traces: 14 },
  grafanaUrl: "https://grafana.example.com",
  grafanaAdmin: { user: "admin", password: "s3cret-admin-password" },
  tags: { owner: "platform-team", "cost-center": "cc-4200" },
};

describe("Observability", () => {
  const observability = new Observability("obs", args);
  const of = async (type: string) => recorded(type, observability);
  const byName = (resources: PlannedResource[], name: string) => {
    const found = resources.find((r) => r.name === name);
    if (!found) throw new Error(`no ${name} among ${resources.map((r) => r.name).join(", ")}`);
    return found;
  };
  const release = async (key: keyof typeof releases) =>
    byName(await of("kubernetes:helm.sh/v3:Release"), `obs-${releases[key]}`);
  const values = async (key: keyof typeof releases) => (await release(key)).inputs["values"] as Values;

  it("creates the observability namespace through the cluster's provider, baseline enforced", async () => {
    const [ns] = await of("kubernetes:core/v1:Namespace");
    expect(ns?.inputs["metadata"]).toMatchObject({
      name: "observability",
      labels: {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    });
    expect(ns?.urn).toContain("obs");
    for (const r of await of("kubernetes:helm.sh/v3:Release"))
      expect(r.inputs["namespace"]).toBe("observability");
  });

  it("installs every chart at its exact pinned version from its repository", async () => {
    const all = await of("kubernetes:helm.sh/v3:Release");
    expect(all.map((r) => r.inputs["name"]).sort()).toEqual(Object.values(releases).sort());
    for (const [key, pin] of Object.entries(charts)) {
      const r = await release(key as keyof typeof releases);
      expect(r.inputs).toMatchObject({
        chart: pin.chart,
        version: pin.version,
        repositoryOpts: { repo: pin.repo },
      });
      expect(pin.version).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it("gives each backend its own bucket: KMS-encrypted by default with its own key, private, versioned", async () => {
    const buckets = await of("aws:s3/bucket:Bucket");
    expect(buckets.map((b) => b.inputs["bucket"]).sort()).toEqual(
      storageBackends.map((b) => `platform-prod-${b}-${awsAccountId}`).sort(),
    );
    const keys = await of("aws:kms/key:Key");
    for (const backend of storageBackends) {
      const id = idOf(byName(buckets, `obs-${backend}`));
      const sse = byName(
        await of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
        `obs-${backend}`,
      );
      const key = byName(keys, `obs-${backend}`);
      expect(sse.inputs).toEqual({
        bucket: id,
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: `arn:aws:kms:${platform.region}:${awsAccountId}:key/${idOf(key)}`,
            },
            bucketKeyEnabled: true,
          },
        ],
      });
      expect(key.inputs["enableKeyRotation"]).toBe(true);
      expect(
        byName(await of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), `obs-${backend}`).inputs,
      ).toEqual({
        bucket: id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(
        byName(await of("aws:s3/bucketVersioning:BucketVersioning"), `obs-${backend}`).inputs,
      ).toMatchObject({
        versioningConfiguration: { status: "Enabled" },
      });
      const lifecycle = byName(
        await of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
        `obs-${backend}`,
      );
      expect((lifecycle.inputs["rules"] as unknown[]).length).toBeGreaterThan(0);
    }
  });

  it("refuses plain HTTP to every bucket and its objects", async () => {
    for (const policy of await of("aws:s3/bucketPolicy:BucketPolicy")) {
      const [statement] = JSON.parse(policy.inputs["policy"] as string).Statement;
      expect(statement).toMatchObject({
        Effect: "Deny",
        Action: "s3:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    }
  });

  it("lets only each backend's service account reach its bucket and key, through its own IRSA role", async () => {
    const roles = await of("aws:iam/role:Role");
    const policies = await of("aws:iam/rolePolicy:RolePolicy");
    for (const backend of storageBackends) {
      const role = byName(roles, `obs-${backend}`);
      const trust = JSON.parse(role.inputs["assumeRolePolicy"] as string);
      expect(trust.Statement[0].Condition.StringEquals[`${issuer}:sub`]).toBe(
        `system:serviceaccount:observability:${backend}`,
      );
      const access = JSON.parse(byName(policies, `obs-${backend}`).inputs["policy"] as string);
      const resources = access.Statement.flatMap((s: { Resource: string }) => s.Resource);
      for (const resource of resources) expect(resource).toMatch(new RegExp(`${backend}`));
      expect(JSON.stringify(access)).not.toContain('"*"');
      const roleArn = `arn:aws:iam::${awsAccountId}:role/${idOf(role)}`;
      expect((await values(backend))["serviceAccount"]).toEqual({
        create: true,
        name: backend,
        annotations: { "eks.amazonaws.com/role-arn": roleArn },
      });
    }
  });

  it("points each backend at its bucket and keeps data for the configured days", async () => {
    const bucket = (b: string) => `platform-prod-${b}-${awsAccountId}`;
    expect((await values("mimir"))["mimir"].structuredConfig).toMatchObject({
      common: { storage: { backend: "s3", s3: { bucket_name: bucket("mimir"), region: platform.region } } },
      limits: { compactor_blocks_retention_period: "395d" },
    });
    expect((await values("loki"))["loki"]).toMatchObject({
      storage: { type: "s3", bucketNames: { chunks: bucket("loki") } },
      limits_config: { retention_period: "720h" },
    });
    expect((await values("tempo"))["storage"]).toEqual({
      trace: {
        backend: "s3",
        s3: {
          bucket: bucket("tempo"),
          endpoint: `s3.${platform.region}.amazonaws.com`,
          region: platform.region,
        },
      },
    });
    expect((await values("tempo"))["compactor"]).toEqual({
      config: { compaction: { block_retention: "336h" } },
    });
  });

  it("runs the collector as a node-local agent and a three-replica gateway, with the typed configs", async () => {
    const agent = await values("agent");
    expect(agent).toMatchObject({ mode: "daemonset", service: { internalTrafficPolicy: "Local" } });
    expect(agent["alternateConfig"]).toEqual(
      JSON.parse(
        JSON.stringify(
          agentConfig({
            gatewayService: observability.endpoints.gatewayService,
            metricsPushUrl: observability.endpoints.metricsPush,
            logsOtlpUrl: observability.endpoints.logsOtlp,
            tracesOtlpEndpoint: observability.endpoints.tracesOtlp,
            baselineSamplingPercent: 10,
            slowTraceMs: 200,
          }),
        ),
      ),
    );
    expect(agent["extraEnvs"]).toContainEqual({
      name: "OTEL_RESOURCE_ATTRIBUTES",
      value: "deployment.environment.name=prod,k8s.cluster.name=platform-prod",
    });
    expect(await values("gateway")).toMatchObject({ mode: "deployment", replicaCount: 3 });
  });

  it("installs Grafana with its admin login from a Secret, never in the chart values", async () => {
    const [secret] = await of("kubernetes:core/v1:Secret");
    expect(secret?.inputs["stringData"]).toBe("[secret]");
    const grafana = await release("grafana");
    expect(JSON.stringify(grafana.inputs)).not.toContain("s3cret-admin-password");
    expect((await values("grafana"))["admin"]).toEqual({
      existingSecret: "grafana-admin",
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
  });

  it("exposes the OTLP endpoint, the Prometheus query URL and the Grafana URL", () => {
    expect(observability.otlpEndpoint).toBe("http://otel-collector.observability.svc:4318");
    expect(observability.prometheusQueryUrl).toBe(
      "http://mimir-query-frontend.observability.svc:8080/prometheus",
    );
    expect(observability.grafanaUrl).toBe("https://grafana.example.com");
  });

  it("tags every bucket, key and role", async () => {
    const taggable = ["aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:iam/role:Role"];
    for (const type of taggable)
      for (const r of await of(type))
        expect(r.inputs["tags"], r.name).toMatchObject({ owner: "platform-team", Name: r.name });
    expect(await outputValue(observability.stores.mimir.bucket.bucket)).toBe(
      `platform-prod-mimir-${awsAccountId}`,
    );
  });
});

describe("validateObservabilityArgs", () => {
  it("refuses a sampling percentage above 100", () => {
    expect(() => validateObservabilityArgs({ ...args, baselineSamplingPercent: 150 })).toThrow(
      /percentage from 0 to 100, got 150/,
    );
  });

  it("refuses a retention of zero days", () => {
    expect(() =>
      validateObservabilityArgs({ ...args, retentionDays: { ...args.retentionDays, logs: 0 } }),
    ).toThrow(
      expect.objectContaining({
        propertyPath: "retentionDays.logs",
        reason: expect.stringMatching(/got 0$/),
      }),
    );
  });

  it("refuses a Grafana URL that is not http(s)", () => {
    expect(() => validateObservabilityArgs({ ...args, grafanaUrl: "grafana.example.com" })).toThrow(
      /http\(s\) URL/,
    );
  });
});
