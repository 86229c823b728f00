/**
 * `npm start [-- options]`: the whole platform on 127.0.0.1, from a fresh machine or a warm
 * one. Ctrl-C stops everything it started.
 */
import { parseArgs } from "node:util";
import { startPlatform } from "../local/platform.js";
import { log } from "../local/progress.js";
import { demoUser } from "../local/seed.js";
import { zoneNames } from "../local/zones.js";
import { examples } from "./start/examples.js";

const help = `usage: npm start [-- options]

Runs the platform on 127.0.0.1: PostgreSQL and Redis (installed from Debian packages on
first use), Kafka and OpenSearch (downloaded from Maven Central on first use, about a
minute), an OpenTelemetry Collector (built from the Go module proxy on first use: about
10 minutes, needs Go 1.25+) and Prometheus (Debian's package) for the services' telemetry,
a database per service, every service from its esbuild bundle, demo data.

options:
  --services a,b     run only these services (default: all runnable; callees start first)
  --port N           the gateway's port (default 8080, or PLATFORM_GATEWAY_PORT)
  --zones N          run every service once per simulated zone, 1 to 3 (default 1): zone a on
                     the usual ports, b on ports 100 up (gateway 8180), c 200 up (8280);
                     callers balance over every zone's replica
  --wipe             delete this checkout's local data (.local/) before starting
  --keep-servers     leave PostgreSQL, Redis, Kafka, OpenSearch, the collector and Prometheus
                     running after Ctrl-C
  --fault-slow-ms N  a drill: delay gRPC calls by N ms inside the services (their metrics and
                     spans include it), so latency alerts and traces can be watched
  --fault-slow-route RPC   only this RPC, e.g. GetProduct (default: every RPC)
  --help             this text

environment:
  PLATFORM_ADMIN_PASSWORD   the admin@platform.local password (generated and printed if unset)
  PLATFORM_DATA_DIR         where server data, logs and local secrets live (default .local/)
  PLATFORM_POSTGRES_PORT    PostgreSQL's port (default 15432); PLATFORM_REDIS_PORT likewise (16379),
                            PLATFORM_KAFKA_PORT (19092; its controller PLATFORM_KAFKA_CONTROLLER_PORT,
                            the next port), PLATFORM_OPENSEARCH_PORT (19200; its transport
                            PLATFORM_OPENSEARCH_TRANSPORT_PORT, 19300), the collector's
                            PLATFORM_COLLECTOR_OTLP_HTTP_PORT (14318), ..._OTLP_GRPC_PORT (14317),
                            ..._PROMETHEUS_PORT (18889), ..._HEALTH_PORT (14133), ..._TELEMETRY_PORT
                            (18888), PLATFORM_PROMETHEUS_PORT (19090)
  PLATFORM_TRACE_SAMPLING_PERCENT  the share of ordinary traces the collector keeps (default 100;
                            errors and traces slower than 200 ms are always kept)
  PLATFORM_JAVA_HOME        the JDK for Kafka (17+) and OpenSearch (21+); else found on the PATH
                            or under /usr/lib/jvm
  PLATFORM_KAFKA_HEAP       Kafka's heap (default 256m); PLATFORM_OPENSEARCH_HEAP likewise (512m)
  LOG_LEVEL                 the services' log level (default info); logs go to <data>/logs/`;

const { values } = parseArgs({
  options: {
    services: { type: "string" },
    port: { type: "string" },
    zones: { type: "string" },
    wipe: { type: "boolean", default: false },
    "keep-servers": { type: "boolean", default: false },
    "fault-slow-ms": { type: "string" },
    "fault-slow-route": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(help);
  process.exit(0);
}

const gatewayPort = Number(values.port ?? process.env["PLATFORM_GATEWAY_PORT"] ?? 8080);
if (!Number.isInteger(gatewayPort) || gatewayPort < 1024 || gatewayPort > 65535) {
  console.error(`--port must be a port number from 1024 to 65535 (got "${values.port}")`);
  process.exit(2);
}

const zones = Number(values.zones ?? 1);
if (!Number.isInteger(zones) || zones < 1 || zones > zoneNames.length) {
  console.error(`--zones must be a whole number from 1 to ${zoneNames.length} (got "${values.zones}")`);
  process.exit(2);
}

const slowMs = values["fault-slow-ms"] === undefined ? undefined : Number(values["fault-slow-ms"]);
if (slowMs !== undefined && (!Number.isInteger(slowMs) || slowMs < 1 || slowMs > 60_000)) {
  console.error(`--fault-slow-ms must be a whole number from 1 to 60000 (got "${values["fault-slow-ms"]}")`);
  process.exit(2);
}
if (values["fault-slow-route"] !== undefined && slowMs === undefined) {
  console.error("--fault-slow-route needs --fault-slow-ms");
  process.exit(2);
}
const slowRoute = values["fault-slow-route"];

const started = performance.now();
try {
  const platform = await startPlatform({
    services: values.services
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    gatewayPort,
    wipe: values.wipe,
    keepServers: values["keep-servers"],
    zones,
    ...(slowMs === undefined ? {} : { faults: { slowMs, ...(slowRoute ? { slowRoute } : {}) } }),
  });
  const t = platform.telemetry;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`
platform running in ${seconds} s: ${[...new Set(platform.services.map((s) => s.name))].join(", ")}

  zones     ${
    platform.zones.length > 1
      ? `${platform.zones.join(", ")}: every service once per zone (gateways ${Object.values(platform.gatewayUrls).join(", ")})`
      : "one (a); --zones 3 runs every service once per zone a, b, c"
  }
  gateway   ${platform.gatewayUrl}   (OpenAPI: ${platform.gatewayUrl}/openapi.json)
  admin     ${platform.adminEmail} / ${platform.adminPassword}${platform.adminPasswordGenerated ? "   (generated; set PLATFORM_ADMIN_PASSWORD to choose)" : ""}
  demo      ${demoUser.email} / ${demoUser.password}
  seeded    ${platform.seeded.length > 0 ? platform.seeded.join(", ") : "nothing new (data kept from the last run)"}
  traces    ${t["PLATFORM_COLLECTOR_TRACES"]}   logs ${t["PLATFORM_COLLECTOR_LOGS"]}
  metrics   ${t["PLATFORM_PROMETHEUS_URL"]}   (alerts: ${t["PLATFORM_PROMETHEUS_URL"]}/alerts)${
    slowMs === undefined
      ? ""
      : `
  fault     ${slowRoute ?? "every RPC"} slowed by ${slowMs} ms`
  }

${examples(platform.gatewayUrl, { email: platform.adminEmail, password: platform.adminPassword })}

Ctrl-C stops everything.`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the platform`);
    await platform.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (err) {
  console.error(`npm start failed: ${(err as Error).message}`);
  process.exit(1);
}
