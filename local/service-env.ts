import type { RegisteredService } from "../services/registry.js";
import { localSecret } from "./secrets.js";

export interface LocalContext {
  readonly services: readonly RegisteredService[];
  /** Each Postgres-using service's own database URL. */
  readonly databases: Readonly<Record<string, string>>;
  /** Connection settings of the running servers (PLATFORM_REDIS_URL, ...). */
  readonly servers: Readonly<Record<string, string>>;
  readonly gatewayPort: number;
  readonly adminEmail: string;
  readonly adminPassword: string;
}

/** `CATALOG_ADDRESS=127.0.0.1:7102` for every service: how callers find each other locally. */
function addresses(services: readonly RegisteredService[]): Record<string, string> {
  return Object.fromEntries(
    services.map((s) => [`${s.name.toUpperCase().replace(/-/g, "_")}_ADDRESS`, `127.0.0.1:${s.port}`]),
  );
}

/** Settings particular to one service in local mode; production sets the same through its pod. */
const extras: Record<string, (context: LocalContext) => Record<string, string>> = {
  identity: (context) => ({
    IDENTITY_KEY_ENCRYPTION_KEY: localSecret("identity-kek", () =>
      Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
    ),
    IDENTITY_ADMIN_EMAIL: context.adminEmail,
    IDENTITY_ADMIN_PASSWORD: context.adminPassword,
  }),
};

/** The whole environment of one service process in local mode. */
export function localServiceEnv(service: RegisteredService, context: LocalContext): NodeJS.ProcessEnv {
  const redis = context.servers["PLATFORM_REDIS_URL"];
  const usesKafka = service.topic !== undefined || service.consumedTopics.length > 0;
  return {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    NODE_ENV: "development",
    HOST: "127.0.0.1",
    PORT: String(service.name === "gateway" ? context.gatewayPort : service.port),
    ZONE: "local",
    SERVICE_REVISION: "local",
    SHUTDOWN_DRAIN_SECONDS: "5",
    LOG_LEVEL: process.env["LOG_LEVEL"] ?? "info",
    ...addresses(context.services),
    ...(service.stores.includes("postgres") ? { POSTGRES_URL: context.databases[service.name] } : {}),
    ...(service.stores.includes("redis") && redis ? { REDIS_URL: redis } : {}),
    ...(service.stores.includes("opensearch")
      ? { OPENSEARCH_ENDPOINT: context.servers["PLATFORM_OPENSEARCH_URL"] }
      : {}),
    ...(usesKafka ? { KAFKA_BROKERS: context.servers["PLATFORM_KAFKA_BROKERS"] } : {}),
    ...(service.consumedTopics.length > 0 ? { KAFKA_TOPICS: service.consumedTopics.join(",") } : {}),
    ...extras[service.name]?.(context),
  };
}
