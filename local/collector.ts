/**
 * The OpenTelemetry Collector on 127.0.0.1: the project's own `otelcol-platform` build
 * (local/collector-build.ts, cached after the first, slow, build) running `localConfig`,
 * which components/observability/collector-config.ts derives from the same definitions as
 * the production agent and gateway. Services send OTLP to it; spans and log records land
 * as JSON lines in `dataDir("collector")`, metrics are served to the local Prometheus.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type LocalCollectorArgs,
  localConfig,
  localHost,
  renderCollectorConfig,
} from "../components/observability/collector-config.js";
import { latencyObjective } from "../contracts/telemetry-schema.js";
import { collectorBinaryPath, ensureCollector, otelcolVersion } from "./collector-build.js";
import { httpOk } from "./health.js";
import { dataDir } from "./paths.js";
import { livePid, stopDaemon } from "./process.js";
import { type LocalServer, launchServer, portFromEnv } from "./server.js";

const home = dataDir("collector");
const pidFile = join(home, "collector.pid");
const logFile = join(home, "collector.log");
const configFile = join(home, "config.yaml");
export const tracesFile = join(home, "traces.jsonl");
export const logsFile = join(home, "logs.jsonl");

/** Ports by their `PLATFORM_<NAME>_PORT` name. */
export const collectorPorts = () => ({
  otlpGrpc: portFromEnv("collector_otlp_grpc", 14317),
  otlpHttp: portFromEnv("collector_otlp_http", 14318),
  healthCheck: portFromEnv("collector_health", 14133),
  internalMetrics: portFromEnv("collector_telemetry", 18888),
  prometheus: portFromEnv("collector_prometheus", 18889),
});

/**
 * Locally every trace is kept (PLATFORM_TRACE_SAMPLING_PERCENT lowers it, e.g. to the 10 of
 * prod, to watch the sampler at work): the errors and slow-trace policies are the same, and
 * a developer looking for their request should find it.
 */
function baselineSamplingPercent(): number {
  const raw = process.env["PLATFORM_TRACE_SAMPLING_PERCENT"] ?? "100";
  const percent = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(percent) || percent < 0 || percent > 100)
    throw new Error(`PLATFORM_TRACE_SAMPLING_PERCENT must be a number from 0 to 100 (got "${raw}")`);
  return percent;
}

/** What the local collector runs with. */
export function localCollectorArgs(): LocalCollectorArgs {
  return {
    ports: collectorPorts(),
    tracesFile,
    logsFile,
    baselineSamplingPercent: baselineSamplingPercent(),
    slowTraceMs: latencyObjective.p99Seconds * 1000,
    // Every span of a trace arrives within a second or two here (the services batch for 1 s).
    decisionWaitSeconds: 2,
  };
}

/** The resource attributes the collector's `resource_detection` (env detector) adds to everything. */
export const localResourceAttributes = "deployment.environment.name=local";

export const collector: LocalServer = {
  name: "collector",
  async install() {
    // Cached: a fraction of a second. Cold: about 10 minutes of Go, with progress lines.
    await ensureCollector();
  },
  start() {
    const p = collectorPorts();
    return launchServer({
      what: "the OpenTelemetry Collector",
      title: `starting the OpenTelemetry Collector ${otelcolVersion} (OTLP on ${localHost}:${p.otlpHttp} http, :${p.otlpGrpc} grpc)`,
      ports: {
        collector_otlp_grpc: p.otlpGrpc,
        collector_otlp_http: p.otlpHttp,
        collector_health: p.healthCheck,
        collector_telemetry: p.internalMetrics,
        collector_prometheus: p.prometheus,
      },
      pidFile,
      logFile,
      timeoutMs: 30_000,
      healthy: () => this.healthy(),
      async prepare() {
        mkdirSync(home, { recursive: true });
        writeFileSync(configFile, renderCollectorConfig(localConfig(localCollectorArgs())));
        return {
          command: collectorBinaryPath(),
          args: [`--config=${configFile}`],
          env: { PATH: process.env["PATH"], OTEL_RESOURCE_ATTRIBUTES: localResourceAttributes },
          cwd: home,
        };
      },
    });
  },
  stop: () => stopDaemon(pidFile),
  pid: () => livePid(pidFile),
  /** The health_check extension answers 200 once every pipeline has started. */
  healthy: () => httpOk(`http://${localHost}:${collectorPorts().healthCheck}/`),
  connection() {
    const p = collectorPorts();
    return {
      PLATFORM_OTLP_ENDPOINT: `http://${localHost}:${p.otlpHttp}`,
      PLATFORM_COLLECTOR_TRACES: tracesFile,
      PLATFORM_COLLECTOR_LOGS: logsFile,
      PLATFORM_COLLECTOR_METRICS: `http://${localHost}:${p.prometheus}/metrics`,
    };
  },
};
