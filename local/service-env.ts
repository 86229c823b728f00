import { pathToFileURL } from "node:url";
import { callerVariables } from "../contracts/caller-keys.js";
import { privateKeyFromSeed, publicKeyFromSeed } from "../contracts/ed25519.js";
import { addressVariable, generateSecret } from "../contracts/service-spec.js";
import type { RegisteredService } from "../services/registry.js";
import { faultEnv } from "../services/runtime/faults.js";
import { CallerIdentity } from "../services/runtime/rpc/caller-identity.js";
import type { DatabaseUrls } from "./databases.js";
import { dataDir } from "./paths.js";
import { localSecret } from "./secrets.js";
import { replicaList, type ZoneName, zoneLabel, zonePort } from "./zones.js";

export interface LocalContext {
  readonly services: readonly RegisteredService[];
  /** Each Postgres-using service's own database: as its login role, and as the owner. */
  readonly databases: Readonly<Record<string, DatabaseUrls>>;
  /** Connection settings of the running servers (PLATFORM_REDIS_URL, ...). */
  readonly servers: Readonly<Record<string, string>>;
  readonly gatewayPort: number;
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** A drill's slow path (`npm start -- --fault-slow-ms N [--fault-slow-route RPC]`). */
  readonly faults?: { readonly slowMs: number; readonly slowRoute?: string };
  /** The simulated zones every service runs in (local/zones.ts); default zone a alone. */
  readonly zones?: readonly ZoneName[];
}

/** How often services export metrics locally: the local Prometheus scrapes every 5 s. */
export const localMetricExportMs = 5_000;

/**
 * Telemetry to the local collector when it runs: OTLP/HTTP protobuf, as in production
 * (services/runtime/telemetry.ts), with metrics exported every 5 s instead of every 15.
 */
function telemetry(servers: LocalContext["servers"]): Record<string, string> {
  const endpoint = servers["PLATFORM_OTLP_ENDPOINT"];
  if (!endpoint) return {};
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_METRIC_EXPORT_INTERVAL: String(localMetricExportMs),
  };
}

/**
 * Local mode is the only place faults may run (services/runtime/faults.ts): it allows them,
 * and sets the slow path when asked to.
 */
function faults(context: LocalContext): Record<string, string> {
  const slow = context.faults;
  return {
    [faultEnv.allow]: "true",
    ...(slow ? { [faultEnv.slowMs]: String(slow.slowMs) } : {}),
    ...(slow?.slowRoute ? { [faultEnv.slowRoute]: slow.slowRoute } : {}),
  };
}

/**
 * `CATALOG_ADDRESS=127.0.0.1:7102` for every service: how callers find each other locally;
 * with zones, every zone's replica (`127.0.0.1:7102,127.0.0.1:7202,...`), balanced by the caller.
 */
function addresses(
  services: readonly RegisteredService[],
  zones: readonly ZoneName[],
): Record<string, string> {
  return Object.fromEntries(services.map((s) => [addressVariable(s.name), replicaList(s.port, zones)]));
}

/** Where the local secrets kept these before they came from the registry; moved on first use. */
const formerLocalNames: Readonly<Record<string, string>> = {
  "identity/IDENTITY_KEY_ENCRYPTION_KEY": "identity-kek",
  "notifications/NOTIFICATIONS_KEY_ENCRYPTION_KEY": "notifications-kek",
};

/**
 * The secrets the registry entry declares (`secrets`), made by the same generators as
 * production's and kept with the local secrets, so a restart can open what a KEK sealed.
 */
function generatedSecrets(service: RegisteredService): Record<string, string> {
  return Object.fromEntries(
    service.secrets.map((secret) => {
      const name = `${service.name}/${secret.env}`;
      const formerly = formerLocalNames[name];
      const value = localSecret(name, () => generateSecret(secret.generate), formerly ? { formerly } : {});
      return [secret.env, value];
    }),
  );
}

/** A service's call signing key (an Ed25519 seed), made once per checkout like production's. */
const callSigningKey = (service: string) =>
  localSecret(`${service}/CALL_SIGNING_KEY`, () => generateSecret("key-256-base64"));

/** Who may call a gRPC service (its callers' public keys) and, when it calls, its own key. */
function callerSettings(service: RegisteredService, services: readonly RegisteredService[]) {
  return {
    ...(service.protocol === "grpc"
      ? callerVariables(service, services, (caller) => publicKeyFromSeed(callSigningKey(caller)))
      : {}),
    ...(service.calls.length > 0 ? { CALL_SIGNING_KEY: callSigningKey(service.name) } : {}),
  };
}

/**
 * `service`'s identity as a caller in local mode, for local tools that call services
 * directly (the demo data is seeded as the gateway, which alone may name an admin).
 */
export const localCaller = (service: string) =>
  new CallerIdentity(service, privateKeyFromSeed(callSigningKey(service)));

/** Settings particular to one service in local mode; production sets the same through its pod. */
const extras: Record<string, (context: LocalContext) => Record<string, string>> = {
  identity: (context) => ({
    IDENTITY_ADMIN_EMAIL: context.adminEmail,
    IDENTITY_ADMIN_PASSWORD: context.adminPassword,
  }),
  // One local node: replicas of the search index could never be assigned.
  search: () => ({ SEARCH_INDEX_REPLICAS: "0" }),
  notifications: () => ({
    // Local receivers listen on loopback over http; production refuses both.
    NOTIFICATIONS_ALLOW_PRIVATE_TARGETS: "true",
  }),
};

/** The whole environment of one service process in local mode: its replica in `zone` (default a). */
export function localServiceEnv(
  service: RegisteredService,
  context: LocalContext,
  zone: ZoneName = "a",
): NodeJS.ProcessEnv {
  const zones = context.zones ?? ["a"];
  const redis = context.servers["PLATFORM_REDIS_URL"];
  const usesKafka = service.topic !== undefined || service.consumedTopics.length > 0;
  return {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    NODE_ENV: "development",
    HOST: "127.0.0.1",
    PORT: String(zonePort(service.name === "gateway" ? context.gatewayPort : service.port, zone)),
    ZONE: zoneLabel(zone, zones),
    SERVICE_REVISION: "local",
    SHUTDOWN_DRAIN_SECONDS: "5",
    LOG_LEVEL: process.env["LOG_LEVEL"] ?? "info",
    ...addresses(context.services, zones),
    ...(service.stores.includes("postgres")
      ? {
          POSTGRES_URL: context.databases[service.name]?.url,
          POSTGRES_MIGRATION_URL: context.databases[service.name]?.migrationUrl,
        }
      : {}),
    ...(service.stores.includes("redis") && redis ? { REDIS_URL: redis } : {}),
    // Production's write-once store is an S3 bucket with Object Lock; locally, read-only files.
    ...(service.stores.includes("write-once")
      ? { WRITE_ONCE_URL: pathToFileURL(dataDir(service.name, "write-once")).href }
      : {}),
    ...(service.stores.includes("opensearch")
      ? { OPENSEARCH_ENDPOINT: context.servers["PLATFORM_OPENSEARCH_URL"] }
      : {}),
    ...(usesKafka ? { KAFKA_BROKERS: context.servers["PLATFORM_KAFKA_BROKERS"] } : {}),
    ...(service.consumedTopics.length > 0 ? { KAFKA_TOPICS: service.consumedTopics.join(",") } : {}),
    ...generatedSecrets(service),
    ...callerSettings(service, context.services),
    ...telemetry(context.servers),
    ...faults(context),
    ...extras[service.name]?.(context),
  };
}
