/**
 * The pure decisions of the Postgres component: names derived from a service, the
 * parameter group family and parameters, and the connection URL handed to services.
 * Tested without any cloud.
 */

import type { DatabaseAccess } from "../../contracts/service-spec.js";

/** The port Aurora PostgreSQL listens on. */
export const postgresPort = 5432;

/** The cluster's master user: used only by Pulumi's postgresql provider, never by a service. */
export const masterUsername = "platform_admin";

/** Names PostgreSQL reserves or RDS uses itself; no service database may take them. */
export const reservedDatabaseNames: readonly string[] = ["postgres", "template0", "template1", "rdsadmin"];

/** What one service gets in the cluster, and the Kubernetes Secrets that tell it. */
export interface PostgresNames {
  /** Its database, e.g. `catalog`. */
  readonly database: string;
  /** The login role the service serves as, e.g. `catalog_svc`: rows only, never the schema. */
  readonly role: string;
  /** The role that owns the database and its objects and runs the migrations, e.g. `catalog_owner`. */
  readonly owner: string;
  /** The Kubernetes Secret with the login role's credentials, e.g. `catalog-postgres`. */
  readonly secret: string;
  /** The Secret with the owner's, read only by the pod's `migrate` init container, e.g. `catalog-postgres-owner`. */
  readonly ownerSecret: string;
}

/**
 * The database, role and Secret names of a service. Service names are DNS labels; hyphens
 * become underscores so that the identifiers never need quoting in SQL.
 */
export function postgresNames(service: string): PostgresNames {
  const identifier = service.replace(/-/g, "_");
  return {
    database: identifier,
    role: `${identifier}_svc`,
    owner: `${identifier}_owner`,
    secret: `${service}-postgres`,
    ownerSecret: `${service}-postgres-owner`,
  };
}

/**
 * What a service's login role may do, on every table and sequence its owner creates
 * (`databaseAccess` in service.ts): read-write services change rows; an append-only one
 * (audit) may only add and read them, and draw numbers from sequences (nextval), never
 * set them. Neither may change the schema: ALTER, DROP, TRUNCATE, triggers are the owner's.
 */
export function loginRolePrivileges(access: DatabaseAccess): { tables: string[]; sequences: string[] } {
  return access === "append-only"
    ? { tables: ["SELECT", "INSERT"], sequences: ["USAGE"] }
    : { tables: ["SELECT", "INSERT", "UPDATE", "DELETE"], sequences: ["USAGE", "SELECT"] };
}

/** The major version of an Aurora PostgreSQL engine version such as "16.6". */
export function majorVersion(engineVersion: string): number {
  return Number(engineVersion.split(".")[0]);
}

/** The cluster parameter group family of an engine version: "16.6" → "aurora-postgresql16". */
export function clusterParameterGroupFamily(engineVersion: string): string {
  return `aurora-postgresql${majorVersion(engineVersion)}`;
}

export interface DbParameter {
  readonly name: string;
  readonly value: string;
  readonly applyMethod: "immediate" | "pending-reboot";
}

/**
 * The cluster parameters: TLS forced for every connection, SCRAM password hashing, and
 * enough logging (connections, DDL, lock waits, slow statements) to investigate incidents
 * from the exported `postgresql` log without logging row data.
 */
export const clusterParameters: readonly DbParameter[] = [
  { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
  { name: "ssl_min_protocol_version", value: "TLSv1.2", applyMethod: "immediate" },
  { name: "password_encryption", value: "scram-sha-256", applyMethod: "immediate" },
  { name: "log_connections", value: "1", applyMethod: "immediate" },
  { name: "log_disconnections", value: "1", applyMethod: "immediate" },
  { name: "log_statement", value: "ddl", applyMethod: "immediate" },
  { name: "log_lock_waits", value: "1", applyMethod: "immediate" },
  { name: "log_min_duration_statement", value: "1000", applyMethod: "immediate" },
  { name: "log_autovacuum_min_duration", value: "10000", applyMethod: "immediate" },
];

/** The TLS mode services connect with; `verify-full` needs the RDS CA bundle in the client. */
export type ClientSslMode = "verify-full" | "require";

export interface ConnectionParts {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  readonly password: string;
  readonly sslmode: ClientSslMode;
}

/** A libpq connection URL; user and password are percent-encoded. */
export function connectionUrl(p: ConnectionParts): string {
  const user = `${encodeURIComponent(p.username)}:${encodeURIComponent(p.password)}`;
  return `postgres://${user}@${p.host}:${p.port}/${encodeURIComponent(p.database)}?sslmode=${p.sslmode}`;
}
