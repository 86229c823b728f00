/**
 * The chaos suite's own servers: a data folder and ports apart from a developer's
 * (`npm start`, the integration tests), so killing "Redis" kills only the suite's Redis.
 * The local/ server modules read these variables, the data folder when they are loaded:
 * apply this before importing them (scripts/chaos.ts imports the suite afterwards).
 */
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "..", "..");

/** Every server port of the suite, by its `PLATFORM_<NAME>_PORT` variable. */
export const chaosServerPorts: Readonly<Record<string, number>> = {
  PLATFORM_POSTGRES_PORT: 25432,
  PLATFORM_REDIS_PORT: 26379,
  PLATFORM_KAFKA_PORT: 29092,
  PLATFORM_KAFKA_CONTROLLER_PORT: 29093,
  PLATFORM_OPENSEARCH_PORT: 29200,
  PLATFORM_OPENSEARCH_TRANSPORT_PORT: 29300,
  PLATFORM_COLLECTOR_OTLP_GRPC_PORT: 24317,
  PLATFORM_COLLECTOR_OTLP_HTTP_PORT: 24318,
  PLATFORM_COLLECTOR_HEALTH_PORT: 24133,
  PLATFORM_COLLECTOR_TELEMETRY_PORT: 28888,
  PLATFORM_COLLECTOR_PROMETHEUS_PORT: 28889,
  PLATFORM_PROMETHEUS_PORT: 29090,
};

/** Toxiproxy's API, and the port each proxied store is reached through. */
export const toxiproxyPorts = { api: 28474, postgres: 25433 } as const;

/** Where the suite keeps its servers' data, logs and secrets (wiped at every start). */
export const chaosDataDir = (root = repoRoot) => join(root, ".local", "chaos");

/** The variables, for `process.env` before local/ is imported. */
export function chaosEnvironment(root = repoRoot): Record<string, string> {
  return {
    PLATFORM_DATA_DIR: chaosDataDir(root),
    ...Object.fromEntries(Object.entries(chaosServerPorts).map(([key, port]) => [key, String(port)])),
  };
}

/** Sets them, returning a function that puts the previous values back. */
export function applyChaosEnvironment(env: NodeJS.ProcessEnv = process.env): () => void {
  const previous = Object.fromEntries(Object.keys(chaosEnvironment()).map((key) => [key, env[key]]));
  Object.assign(env, chaosEnvironment());
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
  };
}
