import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { RuleFile } from "../components/alerting/prometheus-rules.js";
import { loadServiceRegistry } from "../services/registry.js";
import { ensurePromtool } from "../test/promtool.js";
import { localAlertLinks, platformRules, prometheusConfig } from "./prometheus.js";

const dir = mkdtempSync(join(tmpdir(), "local-prometheus-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = prometheusConfig({
  intervalSeconds: 5,
  collectorMetrics: "127.0.0.1:18889",
  collectorTelemetry: "127.0.0.1:18888",
  rulesDir: join(dir, "rules"),
});

describe("the local Prometheus configuration", () => {
  beforeAll(() => ensurePromtool(), 300_000);

  it("scrapes the collector's exporter every 5 s keeping the exporter's job labels, and its own metrics", () => {
    const parsed = parse(config);
    expect(parsed.global).toEqual({ scrape_interval: "5s", evaluation_interval: "5s" });
    expect(parsed.scrape_configs).toEqual([
      { job_name: "otel-collector", honor_labels: true, static_configs: [{ targets: ["127.0.0.1:18889"] }] },
      { job_name: "otel-collector-self", static_configs: [{ targets: ["127.0.0.1:18888"] }] },
    ]);
  });

  it("passes promtool check config, with the platform's generated rules file loaded", async () => {
    const rules = join(dir, "rules");
    mkdirSync(rules, { recursive: true });
    writeFileSync(join(rules, "platform.yaml"), await platformRules());
    writeFileSync(join(dir, "prometheus.yml"), config);
    const run = spawnSync("promtool", ["check", "config", join(dir, "prometheus.yml")], { encoding: "utf8" });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("evaluates every service's SLO burn-rate pages and tickets, as production does", async () => {
    const services = await loadServiceRegistry();
    const alerts = (parse(await platformRules()) as RuleFile).groups.flatMap((g) =>
      g.rules.map((r) => "alert" in r && r.alert),
    );
    for (const { name } of services)
      for (const kind of ["availability-burn", "latency-burn"])
        expect(alerts).toEqual(expect.arrayContaining([`${name}-${kind}-page`, `${name}-${kind}-ticket`]));
  });

  it("links each alert to this checkout's runbooks", async () => {
    expect(localAlertLinks.runbookBaseUrl).toMatch(/^file:\/\/\/.*\/docs\/runbooks$/);
    expect(await platformRules()).toContain(`${localAlertLinks.runbookBaseUrl}/api-latency.md`);
  });
});
