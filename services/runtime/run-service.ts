import type { KeyObject } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import type { GenFile } from "@bufbuild/protobuf/codegenv2";
import { z } from "zod";
import type { ServiceSpec } from "../../contracts/service-spec.js";
import { ConfigError, loadConfig, port, postgresUrl, redisUrl, runtimeEnv } from "./config.js";
import type { EventBatchHandler } from "./consumer.js";
import { type EventOutbox, eventsEnv, needsEvents, wireEvents } from "./event-wiring.js";
import { faultsFromEnv } from "./faults.js";
import { createLogger, type Logger } from "./logger.js";
import type { RequestMetrics } from "./metrics.js";
import { connectPostgres, type Database, migrateAll, pendingMigrations } from "./postgres.js";
import { connectRedis, type Redis } from "./redis.js";
import { CallerCheck } from "./rpc/caller-check.js";
import { calleeEnv, callerEnv } from "./rpc/caller-config.js";
import { CallerIdentity } from "./rpc/caller-identity.js";
import { type Handlers, RpcServer, reflectionAllowed } from "./rpc/server.js";
import { onShutdown } from "./shutdown.js";
import { instrument } from "./telemetry.js";

export { runtimeEnv };

/** What a service's `start` receives: everything the runtime opened for it. */
export interface ServiceKit<C> {
  readonly config: C & z.output<typeof runtimeEnv> & { PORT: number; REDIS_URL?: string };
  readonly logger: Logger;
  readonly metrics: RequestMetrics;
  /** Open when the service declares the postgres store; migrated before `start` runs. */
  readonly db: Database;
  /** Open when the service declares the redis store. */
  readonly redis: Redis;
  /** Present when the service publishes events: append them in the handler's transaction. */
  readonly outbox: EventOutbox;
  /** Present when the service calls others (`calls`): the credentials its clients present. */
  readonly caller: CallerIdentity;
}

export interface ServiceDefinition<S extends DescService, E extends z.ZodRawShape> {
  readonly spec: ServiceSpec;
  readonly rpc: { readonly service: S; readonly file: GenFile };
  /** The service's own environment variables. */
  readonly env?: E;
  /** The folder of its SQL migrations, when it declares postgres. */
  readonly migrations?: string;
  /** Builds the handlers; may start background work, returned as closers run on shutdown. */
  start(kit: ServiceKit<z.output<z.ZodObject<E>>>): Promise<{
    handlers: Handlers<S>;
    /** Handles consumed events, a batch of one partition at a time (consumers only); runs after the server is up. */
    consume?: EventBatchHandler;
    close?: (() => Promise<unknown>)[];
  }>;
}

export interface RunningService {
  readonly port: number;
  readonly logger: Logger;
  /** Graceful shutdown, as on SIGTERM. */
  stop(): Promise<void>;
}

/**
 * The database: the service connects as its login role, which may read and write rows but
 * not change the schema; migrations run as the database's owner, a separate role.
 */
const postgresEnv = {
  POSTGRES_URL: postgresUrl.describe("the service's database, as its login role"),
  POSTGRES_MIGRATION_URL: postgresUrl
    .optional()
    .describe("the database's owner, which applies migrations; unset: POSTGRES_URL's role applies them"),
  POSTGRES_MIGRATIONS: z
    .enum(["apply", "check"])
    .default("apply")
    .describe(
      "apply pending migrations at start, or only check none is pending (a pod: its init container applied them)",
    ),
};

/** Applies the migrations as the owner, or checks that the owner (the `migrate` command) has. */
async function prepareSchema(
  db: Database,
  config: { POSTGRES_MIGRATION_URL?: string | undefined; POSTGRES_MIGRATIONS: "apply" | "check" },
  migrations: string | undefined,
  logger: Logger,
): Promise<void> {
  if (config.POSTGRES_MIGRATIONS === "check") {
    const pending = await pendingMigrations(db, migrations);
    if (pending.length > 0)
      throw new ConfigError(
        `the database schema is behind (${pending.join(", ")}): run the \`migrate\` command as the database owner first`,
      );
    return;
  }
  if (!config.POSTGRES_MIGRATION_URL) return migrateAll(db, migrations, logger);
  const owner = connectPostgres(config.POSTGRES_MIGRATION_URL, { logger, max: 1 });
  try {
    await migrateAll(owner, migrations, logger);
  } finally {
    await owner.close();
  }
}

/**
 * Every variable a gRPC service reads at start, composed from its registry entry and its
 * definition: the runtime's settings and port, its stores' URLs, Kafka's settings when it
 * publishes or consumes, and its own `env`. Pure: `runService` validates the environment
 * with it, and the deployment's tests validate each pod's environment with the same schema.
 */
export function serviceConfigSchema<E extends z.ZodRawShape>(
  definition: Pick<ServiceDefinition<DescService, E>, "spec" | "env">,
) {
  const { spec } = definition;
  const stores = z.object({
    ...(spec.stores.includes("postgres") ? postgresEnv : {}),
    ...(spec.stores.includes("redis")
      ? { REDIS_URL: redisUrl.describe("the shared Redis, keys under <service>:") }
      : {}),
  });
  return runtimeEnv
    .extend({ PORT: port.default(spec.port) })
    .extend(calleeEnv)
    .extend(spec.calls.length > 0 ? callerEnv : {})
    .extend(stores.shape)
    .extend(needsEvents(spec) ? eventsEnv : {})
    .extend((definition.env ?? {}) as E);
}

/**
 * Runs a gRPC service: validated config, logs with trace ids, telemetry, its stores
 * (Postgres migrated, Redis connected), the RPC server with health, the caller check and
 * reflection (outside production), and a
 * graceful shutdown on SIGTERM that drains in-flight calls before closing pools.
 */
export async function runService<S extends DescService, E extends z.ZodRawShape>(
  definition: ServiceDefinition<S, E>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const { spec } = definition;
  const config = loadConfig(serviceConfigSchema(definition), env) as ServiceKit<
    z.output<z.ZodObject<E>>
  >["config"] &
    Record<string, unknown>;

  // Checked with the rest of the config, before anything is opened.
  const faults = faultsFromEnv(env);

  const { telemetry, logger, metrics } = instrument(spec.name, config, env);
  if (faults.ignored) logger.warn(faults.ignored);
  if (faults.slowPath)
    logger.warn({ fault: faults.slowPath }, "fault switch on: calls are slowed down on purpose");

  const db = config["POSTGRES_URL"] ? connectPostgres(String(config["POSTGRES_URL"]), { logger }) : undefined;
  if (db) await prepareSchema(db, config as never, definition.migrations, logger);
  const redis = config["REDIS_URL"] ? await connectRedis(String(config["REDIS_URL"]), logger) : undefined;

  const events = needsEvents(spec) ? wireEvents(spec, config as never, db, logger) : undefined;
  const signingKey = config["CALL_SIGNING_KEY"] as { privateKey: KeyObject } | undefined;
  const caller = signingKey ? new CallerIdentity(spec.name, signingKey.privateKey) : undefined;

  const kit = {
    config,
    logger,
    metrics,
    get db(): Database {
      if (!db)
        throw new Error(`${spec.name} uses a database but does not declare the postgres store in service.ts`);
      return db;
    },
    get redis(): Redis {
      if (!redis)
        throw new Error(`${spec.name} uses Redis but does not declare the redis store in service.ts`);
      return redis;
    },
    get outbox(): EventOutbox {
      if (!events?.outbox)
        throw new Error(`${spec.name} writes events but does not declare events.publishes in service.ts`);
      return events.outbox;
    },
    get caller(): CallerIdentity {
      if (!caller) throw new Error(`${spec.name} calls another service but declares no calls in service.ts`);
      return caller;
    },
  };
  const { handlers, consume, close = [] } = await definition.start(kit);
  const server = new RpcServer(definition.rpc.service, handlers, {
    file: definition.rpc.file,
    logger,
    metrics,
    ...(faults.slowPath ? { slowPath: faults.slowPath } : {}),
    callers: new CallerCheck({
      service: spec.name,
      keys: config["CALLER_KEYS"] as ReadonlyMap<string, KeyObject>,
      principalCallers: config["PRINCIPAL_CALLERS"] as ReadonlySet<string>,
      methodCallers: spec.methodCallers,
    }),
    reflection: reflectionAllowed(env),
  });
  const bound = await server.listen(config.HOST, config.PORT);
  logger.info({ host: config.HOST, port: bound, revision: config.SERVICE_REVISION }, `${spec.name} serving`);
  await events?.start(consume);

  const stop = onShutdown(
    {
      stopAccepting: async () => {
        await Promise.all([server.stopAccepting(), events?.stopAccepting()]);
      },
      inFlight: () => metrics.inFlight + (events?.inFlight() ?? 0),
      drainSeconds: config.SHUTDOWN_DRAIN_SECONDS,
      close: [
        ...close,
        async () => events?.close(),
        async () => db?.close(),
        async () => redis?.quit(),
        () => telemetry.shutdown(),
      ],
    },
    logger,
  );
  return { port: bound, logger, stop };
}

/**
 * `node main.mjs migrate`: applies the service's migrations as the database's owner
 * (`POSTGRES_MIGRATION_URL`) and exits. A pod runs it as its init container, so the serving
 * container never holds the owner's credentials.
 */
export async function migrateService(
  definition: Pick<ServiceDefinition<DescService, z.ZodRawShape>, "spec" | "migrations">,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const config = loadConfig(
    z.object({
      POSTGRES_MIGRATION_URL: postgresUrl.describe("the database's owner"),
      LOG_LEVEL: runtimeEnv.shape.LOG_LEVEL,
    }),
    env,
  );
  const logger = createLogger(`${definition.spec.name}-migrate`, { level: config.LOG_LEVEL });
  const owner = connectPostgres(config.POSTGRES_MIGRATION_URL, { logger, max: 1 });
  try {
    await migrateAll(owner, definition.migrations, logger);
  } finally {
    await owner.close();
  }
}

/** A service's entry point: `migrate` applies its migrations and exits; anything else serves. */
export function serviceMain<S extends DescService, E extends z.ZodRawShape>(
  definition: ServiceDefinition<S, E>,
  argv: readonly string[] = process.argv,
): Promise<unknown> {
  return argv[2] === "migrate" ? migrateService(definition) : runService(definition);
}
