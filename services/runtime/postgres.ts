import { createHash } from "node:crypto";
import { join } from "node:path";
import { SpanKind } from "@opentelemetry/api";
import pg from "pg";
import Postgrator from "postgrator";
import type { Logger } from "./logger.js";
import { traced } from "./tracing.js";

/** A result row; callers name its shape. */
export type Row = Record<string, unknown>;

/** What a handler sees of the database: parameterised queries, in or out of a transaction. */
export interface Queryable {
  query<R extends object = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Database extends Queryable {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

/** "SELECT", "INSERT"... for the span name; the statement itself goes in an attribute. */
function operation(text: string): string {
  return /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? "QUERY";
}

/** Statement texts a process prepares, and the name each is prepared under. */
const statementNames = new Map<string, string>();
/** Beyond this many distinct texts (SQL built from input would be a bug), statements run unnamed. */
const maxNamedStatements = 500;

/**
 * A parameterised statement's name: each connection then parses and plans it once and
 * later only binds and executes it. The name is derived from the text, so one text is one
 * statement on every connection.
 */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < maxNamedStatements) {
    name = `s_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

function queryOn(client: pg.Pool | pg.PoolClient, database: string): Queryable["query"] {
  return (text, params) =>
    traced(
      `${operation(text)} ${database}`,
      { "db.system.name": "postgresql", "db.namespace": database, "db.query.text": text },
      async () => {
        const name = params && params.length > 0 ? statementName(text) : undefined;
        return (await client.query({ text, values: params as unknown[], ...(name ? { name } : {}) })).rows;
      },
      SpanKind.CLIENT,
    );
}

/** A connection pool to `url`; pool errors (a dropped idle connection) are logged, not fatal. */
export function connectPostgres(url: string, options: { logger: Logger; max?: number }): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, idleTimeoutMillis: 30_000 });
  pool.on("error", (err) => options.logger.warn({ err }, "idle PostgreSQL connection failed"));
  const database = new URL(url).pathname.slice(1) || "postgres";
  return {
    pool,
    query: queryOn(pool, database),
    async transaction(work) {
      const client = await pool.connect();
      // A connection that dies mid-transaction (a restart, a failover) emits "error" on its
      // client, which the pool does not listen for while the client is checked out: unheard,
      // it would end the process. The query in flight fails anyway; the client is destroyed.
      let broken: Error | undefined;
      const onError = (err: Error) => {
        broken ??= err;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await work({ query: queryOn(client, database) });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        // A broken client keeps the listener: its socket may still report its end.
        if (broken) client.release(broken);
        else {
          client.off("error", onError);
          client.release();
        }
      }
    },
    close: () => pool.end(),
  };
}

/**
 * Applies the service's SQL migrations (`migrations/NNN.do.<name>.sql`) with Postgrator.
 * An advisory lock makes concurrent replicas take turns instead of racing.
 */
export async function migrate(
  db: Database,
  directory: string,
  logger: Logger,
  schemaTable = "schema_migrations",
): Promise<number> {
  const client = await db.pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('platform.migrations'))");
    const postgrator = migrator(client, directory, schemaTable);
    const applied = await postgrator.migrate();
    if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, "migrations applied");
    return applied.length;
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext('platform.migrations'))").catch(() => undefined);
    client.release();
  }
}

function migrator(client: pg.PoolClient, directory: string, schemaTable: string) {
  return new Postgrator({
    migrationPattern: `${directory}/*.sql`,
    driver: "pg",
    schemaTable,
    execQuery: (text) => client.query(text),
  });
}

/**
 * The runtime's own tables (outbox, processed events) come from `runtime-sql/`, which the
 * bundler copies next to each bundle: the same relative path in both places.
 */
const runtimeMigrations = {
  directory: join(import.meta.dirname, "runtime-sql"),
  table: "runtime_schema_migrations",
};

/** Applies the runtime's tables alone (tests of the event machinery). */
export const migrateRuntime = (db: Database, logger: Logger) =>
  migrate(db, runtimeMigrations.directory, logger, runtimeMigrations.table);

/** Every migration set of a service: the runtime's, then its own (if it has any). */
const migrationSets = (serviceMigrations: string | undefined) => [
  runtimeMigrations,
  ...(serviceMigrations ? [{ directory: serviceMigrations, table: "schema_migrations" }] : []),
];

/** Applies the runtime's migrations and the service's, as `owner` (the role that owns the database). */
export async function migrateAll(owner: Database, serviceMigrations: string | undefined, logger: Logger) {
  for (const set of migrationSets(serviceMigrations)) await migrate(owner, set.directory, logger, set.table);
}

/**
 * The migrations not applied yet, read-only: a service whose login role may not change the
 * schema checks this at start and refuses to serve an old schema.
 */
export async function pendingMigrations(
  db: Database,
  serviceMigrations: string | undefined,
): Promise<string[]> {
  const client = await db.pool.connect();
  try {
    const pending: string[] = [];
    for (const set of migrationSets(serviceMigrations)) {
      const postgrator = migrator(client, set.directory, set.table);
      const [current, latest] = await Promise.all([
        postgrator.getDatabaseVersion(),
        postgrator.getMaxVersion(),
      ]);
      if (current < latest) pending.push(`${set.table} at ${current} of ${latest}`);
    }
    return pending;
  } finally {
    client.release();
  }
}
