/**
 * The collector configuration checked by its real consumer: `otelcol-platform validate`
 * (built from the same collector release the chart runs, see local/collector-build.ts and
 * test/otelcol-setup.ts) on the exact config the Observability component hands the chart.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as k8s from "@pulumi/kubernetes";
import { afterAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { localCollectorArgs } from "../../local/collector.js";
import { awsAccountId } from "../../scripts/plan/cloud-facts.js";
import { recorded, spec } from "../../test/pulumi.js";
import { releases } from "./backends.js";
import { type CollectorConfig, localConfig, podEnv } from "./collector-config.js";
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

  it("accepts the local configuration local/collector.ts runs", () => {
    const run = validate(localConfig(localCollectorArgs()));
    expect(run.output).toBe("");
    expect(run.status).toBe(0);
  });

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

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type Attributes = { key: string; value: { stringValue: string } }[];
const attributes = (values: Record<string, string>): Attributes =>
  Object.entries(values).map(([key, value]) => ({ key, value: { stringValue: value } }));
const plain = (list: Attributes = []) => Object.fromEntries(list.map((a) => [a.key, a.value.stringValue]));

describe("otelcol-platform running the agent's transform/zone", () => {
  it("fills an unknown zone from the node's zone, on platform data points and on resources", async () => {
    const agent = await renderedConfig(releases.agent);
    const port = await freePort();
    const out = join(podDir, "zone-out.json");
    const config = {
      receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${port}` } } } },
      processors: { "transform/zone": agent.processors["transform/zone"] },
      exporters: { file: { path: out } },
      service: {
        telemetry: { metrics: { level: "none" } },
        pipelines: { metrics: { receivers: ["otlp"], processors: ["transform/zone"], exporters: ["file"] } },
      },
    };
    const file = join(podDir, "zone-config.yaml");
    writeFileSync(file, stringify(config));
    const collector = spawn(inject("otelcolBinary"), [`--config=${file}`], { stdio: "ignore" });
    try {
      // What k8s_attributes leaves: the runtime's "unknown" beside the node's zone.
      const node = { "k8s.node.label.topology.kubernetes.io/zone": "eu-west-1b" };
      const now = `${Date.now()}000000`;
      const gauge = (name: string, points: Record<string, string>[]) => ({
        scopeMetrics: [
          {
            metrics: [
              {
                name,
                gauge: {
                  dataPoints: points.map((p) => ({
                    asDouble: 1,
                    timeUnixNano: now,
                    attributes: attributes(p),
                  })),
                },
              },
            ],
          },
        ],
      });
      const body = JSON.stringify({
        resourceMetrics: [
          {
            resource: {
              attributes: attributes({
                "service.name": "orders",
                "service.namespace": "platform",
                "cloud.availability_zone": "unknown",
                ...node,
              }),
            },
            ...gauge("platform.request.queue_depth", [
              { service: "orders", zone: "unknown", version: "5d8f" },
              { service: "orders", zone: "eu-west-1a" },
            ]),
          },
          {
            resource: { attributes: attributes({ "service.name": "kube-state-metrics", ...node }) },
            ...gauge("kube_pod_info", [{ pod: "orders-5d8f-x" }]),
          },
        ],
      });
      let sent = false;
      for (let i = 0; i < 100 && !sent; i++) {
        sent = await fetch(`http://127.0.0.1:${port}/v1/metrics`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        }).then(
          (r) => r.ok,
          () => false,
        );
        if (!sent) await sleep(100);
      }
      expect(sent).toBe(true);
      for (let i = 0; i < 100 && !(existsSync(out) && readFileSync(out, "utf8").includes("\n")); i++)
        await sleep(100);

      const exported = JSON.parse(readFileSync(out, "utf8").split("\n")[0]!) as {
        resourceMetrics: {
          resource: { attributes: Attributes };
          scopeMetrics: { metrics: { gauge: { dataPoints: { attributes: Attributes }[] } }[] }[];
        }[];
      };
      const [platform, kubeState] = exported.resourceMetrics.map((rm) => ({
        resource: plain(rm.resource.attributes),
        points: rm.scopeMetrics[0]!.metrics[0]!.gauge.dataPoints.map((p) => plain(p.attributes)),
      }));
      expect(platform?.resource["cloud.availability_zone"]).toBe("eu-west-1b");
      expect(platform?.points).toEqual([
        { service: "orders", zone: "eu-west-1b", version: "5d8f" },
        { service: "orders", zone: "eu-west-1a" },
      ]);
      // Scraped series describe other pods: no zone label of the scraper's node.
      expect(kubeState?.points).toEqual([{ pod: "orders-5d8f-x" }]);
      expect(kubeState?.resource["cloud.availability_zone"]).toBe("eu-west-1b");
    } finally {
      collector.kill();
    }
  });
});
