/**
 * Prometheus from Debian's `prometheus` package (the binary, not its systemd service) on
 * 127.0.0.1, its data in `dataDir("prometheus")`. It scrapes the local collector's
 * Prometheus exporter (the services' metrics) and the collector's own metrics, and
 * evaluates the platform's alert rules: the rules file components/alerting generates and
 * promtool tests, written afresh at every start.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { type AlertLinks, alertRules } from "../components/alerting/alert-rules.js";
import { dashboardUid } from "../components/alerting/dashboard.js";
import { renderRuleFile, ruleFile } from "../components/alerting/prometheus-rules.js";
import { localHost } from "../components/observability/collector-config.js";
import { loadServiceRegistry } from "../services/registry.js";
import { ensureDebianPackages } from "./apt.js";
import { collectorPorts } from "./collector.js";
import { httpOk } from "./health.js";
import { dataDir, repoRoot } from "./paths.js";
import { livePid, stopDaemon } from "./process.js";
import { type LocalServer, launchServer, portFromEnv } from "./server.js";

const home = dataDir("prometheus");
const pidFile = join(home, "prometheus.pid");
const logFile = join(home, "prometheus.log");
const configFile = join(home, "prometheus.yml");
/** Every `*.yaml` here is a rules file Prometheus loads; `platform.yaml` is the generated one. */
export const rulesDir = join(home, "rules");
const port = () => portFromEnv("prometheus", 19090);
const url = () => `http://${localHost}:${port()}`;

export interface PrometheusConfigArgs {
  /** How often targets are scraped and rules evaluated, in seconds. */
  readonly intervalSeconds: number;
  /** The collector's Prometheus exporter, `host:port` (the services' metrics). */
  readonly collectorMetrics: string;
  /** The collector's own metrics (otelcol_*), `host:port`. */
  readonly collectorTelemetry: string;
  readonly rulesDir: string;
}

/**
 * prometheus.yml. `honor_labels` keeps the `job` the exporter derives from each resource
 * (`platform/<service>`), as remote write does in production, instead of renaming it
 * `exported_job`. Five-second scrapes and evaluations: an alert's `for` is measured in
 * evaluations, and a local drill should not wait a minute for each.
 */
export function prometheusConfig(args: PrometheusConfigArgs): string {
  const interval = `${args.intervalSeconds}s`;
  return stringify(
    {
      global: { scrape_interval: interval, evaluation_interval: interval },
      rule_files: [join(args.rulesDir, "*.yaml")],
      scrape_configs: [
        {
          job_name: "otel-collector",
          honor_labels: true,
          static_configs: [{ targets: [args.collectorMetrics] }],
        },
        { job_name: "otel-collector-self", static_configs: [{ targets: [args.collectorTelemetry] }] },
      ],
    },
    { lineWidth: 0 },
  );
}

/**
 * The alert links of local rules. No Grafana runs locally: the dashboard link points where
 * one started by hand on its default port would serve the board; runbooks are this checkout's.
 */
export const localAlertLinks: AlertLinks = {
  grafanaUrl: "http://127.0.0.1:3000",
  runbookBaseUrl: `file://${join(repoRoot, "docs", "runbooks")}`,
  dashboardUid,
};

/** The platform's rules file, exactly as prometheus-rules.ts renders it for promtool, with local links. */
export async function platformRules(): Promise<string> {
  const services = await loadServiceRegistry();
  return renderRuleFile(
    ruleFile(
      alertRules(services),
      localAlertLinks,
      services.map((s) => s.name),
    ),
  );
}

/** Asks the running Prometheus to re-read its config and rules files. */
export async function reloadPrometheus(): Promise<void> {
  const response = await fetch(`${url()}/-/reload`, { method: "POST" });
  if (!response.ok)
    throw new Error(`Prometheus refused to reload: HTTP ${response.status} ${await response.text()}`);
}

/**
 * Loads one more rules file (e.g. a test's alert with a shorter `for`) into the running
 * Prometheus; the returned function removes it again.
 */
export async function addRules(name: string, rules: string): Promise<() => Promise<void>> {
  const file = join(rulesDir, `${name}.yaml`);
  writeFileSync(file, rules);
  await reloadPrometheus();
  return async () => {
    rmSync(file, { force: true });
    await reloadPrometheus();
  };
}

export const prometheus: LocalServer = {
  name: "prometheus",
  async install() {
    ensureDebianPackages(["prometheus"]);
  },
  start() {
    return launchServer({
      what: "Prometheus",
      title: `starting Prometheus on ${localHost}:${port()}`,
      ports: { prometheus: port() },
      pidFile,
      logFile,
      timeoutMs: 30_000,
      healthy: () => this.healthy(),
      async prepare() {
        const collector = collectorPorts();
        mkdirSync(rulesDir, { recursive: true });
        writeFileSync(join(rulesDir, "platform.yaml"), await platformRules());
        writeFileSync(
          configFile,
          prometheusConfig({
            intervalSeconds: 5,
            collectorMetrics: `${localHost}:${collector.prometheus}`,
            collectorTelemetry: `${localHost}:${collector.internalMetrics}`,
            rulesDir,
          }),
        );
        if (!existsSync(join(home, "data"))) mkdirSync(join(home, "data"));
        return {
          command: "prometheus",
          args: [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${join(home, "data")}`,
            "--storage.tsdb.retention.time=2d",
            `--web.listen-address=${localHost}:${port()}`,
            // POST /-/reload picks up added rules files (addRules); loopback only.
            "--web.enable-lifecycle",
          ],
          cwd: home,
        };
      },
    });
  },
  stop: () => stopDaemon(pidFile),
  pid: () => livePid(pidFile),
  healthy: () => httpOk(`${url()}/-/ready`),
  connection() {
    return { PLATFORM_PROMETHEUS_URL: url() };
  },
};
