/**
 * The collector configuration checked by its real consumer: `otelcol-platform validate`
 * (built from the same collector release the chart runs, see local/collector-build.ts and
 * test/otelcol-setup.ts) on the exact config the Observability component hands the chart.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { afterAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { awsAccountId } from "../../scripts/plan/cloud-facts.js";
import { recorded, spec } from "../../test/pulumi.js";
import { releases } from "./backends.js";
import { type CollectorConfig, podEnv } from "./collector-config.js";
import { Observability } from "./observability.js";

const platform = spec();
const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
const observability = new Observability("otelcol-check", {
  prefix: "platform-prod",
  region: platform.region,
  zones: platform.network.zones,
  k8sProvider: new k8s.Provider("otelcol-check-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" }),
  irsa: {
    oidcProvider: { arn: `arn:aws:iam::${awsAccountId}:oidc-provider/${issuer}` },
    oidcIssuerUrl: issuer,
  },
  resourceAttributes: { "deployment.environment.name": "prod" },
  baselineSamplingPercent: platform.observability.baselineSamplingPercent,
  retentionDays: platform.observability.retentionDays,
  grafanaAdmin: { user: "admin", password: "not-a-real-password" },
  tags: {},
});

/** The config a collector release receives, as the chart writes it to its ConfigMap. */
async function renderedConfig(release: string): Promise<CollectorConfig> {
  const all = await recorded("kubernetes:helm.sh/v3:Release", observability);
  const found = all.find((r) => r.inputs["name"] === release);
  if (!found) throw new Error(`no release ${release}`);
  return (found.inputs["values"] as { alternateConfig: CollectorConfig }).alternateConfig;
}

// What the pod gives the collector: its IP, its node, its service-account folder.
const podDir = mkdtempSync(join(tmpdir(), "otelcol-pod-"));
writeFileSync(join(podDir, "token"), "service-account-token\n");
writeFileSync(join(podDir, "ca.crt"), "");
afterAll(() => rmSync(podDir, { recursive: true, force: true }));
const podEnvironment = {
  [podEnv.podIp]: "10.40.64.17",
  [podEnv.nodeName]: "ip-10-40-64-10.eu-west-1.compute.internal",
  [podEnv.serviceAccountDir]: podDir,
};

function validate(config: unknown): { status: number | null; output: string } {
  const file = join(podDir, "config.yaml");
  writeFileSync(file, typeof config === "string" ? config : stringify(config));
  const run = spawnSync(inject("otelcolBinary"), ["validate", `--config=${file}`], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"], ...podEnvironment },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("otelcol-platform validate", () => {
  it.each([releases.agent, releases.gateway])(
    "accepts the %s configuration the chart receives",
    async (release) => {
      const run = validate(await renderedConfig(release));
      expect(run.output).toBe("");
      expect(run.status).toBe(0);
    },
  );

  it("refuses the loki exporter, which collector-contrib no longer has", async () => {
    const gateway = await renderedConfig(releases.gateway);
    const broken = {
      ...gateway,
      exporters: {
        ...gateway.exporters,
        loki: { endpoint: "http://loki-gateway.observability.svc/loki/api/v1/push" },
      },
      service: {
        ...gateway.service,
        pipelines: {
          ...gateway.service.pipelines,
          logs: { ...gateway.service.pipelines.logs, exporters: ["loki"] },
        },
      },
    };
    const run = validate(broken);
    expect(run.status).toBe(1);
    expect(run.output).toContain('unknown type: "loki"');
  });

  it("refuses a misspelt tail-sampling setting", async () => {
    const gateway = await renderedConfig(releases.gateway);
    const { decision_wait, ...sampling } = gateway.processors.tail_sampling!;
    const broken = {
      ...gateway,
      processors: { ...gateway.processors, tail_sampling: { ...sampling, decision_wiat: decision_wait } },
    };
    const run = validate(broken);
    expect(run.status).toBe(1);
    expect(run.output).toContain("invalid keys: decision_wiat");
  });
});
