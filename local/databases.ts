import pg from "pg";
import {
  loginRolePrivileges,
  type PostgresNames,
  postgresNames,
} from "../components/postgres/postgres-plan.js";
import type { DatabaseAccess } from "../contracts/service-spec.js";
import type { RegisteredService } from "../services/registry.js";
import { localSecret } from "./secrets.js";

/** A service's two connections: as its login role, and as the owner that runs migrations. */
export interface DatabaseUrls {
  readonly url: string;
  readonly migrationUrl: string;
}

const withUser = (serverUrl: string, database: string, user: string, password: string) => {
  const url = new URL(serverUrl);
  url.username = user;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
};

async function ensureRole(client: pg.Client, role: string, password: string): Promise<void> {
  const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
  await client.query(
    `${exists.rowCount ? "ALTER" : "CREATE"} ROLE ${role} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`,
  );
}

/**
 * One service's database as production has it (components/postgres): owned by the owner
 * role, which runs migrations; the login role may connect and do to rows what `access`
 * allows, on every table and sequence the owner makes (default privileges) or made
 * before (a database provisioned before the two roles split is handed to the owner).
 * Idempotent; `adminUrl` is a superuser's.
 */
export async function provisionDatabase(
  adminUrl: string,
  names: Pick<PostgresNames, "database" | "role" | "owner">,
  access: DatabaseAccess,
  passwords: { readonly owner: string; readonly role: string },
): Promise<DatabaseUrls> {
  const { database, role, owner } = names;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await ensureRole(admin, owner, passwords.owner);
    await ensureRole(admin, role, passwords.role);
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    await admin.query(
      exists.rowCount
        ? `ALTER DATABASE ${database} OWNER TO ${owner}`
        : `CREATE DATABASE ${database} OWNER ${owner}`,
    );
    await admin.query(`REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`);
    await admin.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
  } finally {
    await admin.end();
  }
  const onDatabase = new URL(adminUrl);
  onDatabase.pathname = `/${database}`;
  const inside = new pg.Client({ connectionString: onDatabase.toString() });
  await inside.connect();
  try {
    const { tables, sequences } = loginRolePrivileges(access);
    await inside.query(`REASSIGN OWNED BY ${role} TO ${owner}`);
    await inside.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    await inside.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    for (const scope of ["ALL TABLES IN SCHEMA public", "ALL SEQUENCES IN SCHEMA public"])
      await inside.query(`REVOKE ALL ON ${scope} FROM ${role}`);
    await inside.query(`GRANT ${tables.join(", ")} ON ALL TABLES IN SCHEMA public TO ${role}`);
    await inside.query(`GRANT ${sequences.join(", ")} ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    const defaults = `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public`;
    await inside.query(`${defaults} REVOKE ALL ON TABLES FROM ${role}`);
    await inside.query(`${defaults} REVOKE ALL ON SEQUENCES FROM ${role}`);
    await inside.query(`${defaults} GRANT ${tables.join(", ")} ON TABLES TO ${role}`);
    await inside.query(`${defaults} GRANT ${sequences.join(", ")} ON SEQUENCES TO ${role}`);
  } finally {
    await inside.end();
  }
  return {
    url: withUser(adminUrl, database, role, passwords.role),
    migrationUrl: withUser(adminUrl, database, owner, passwords.owner),
  };
}

/**
 * Gives each service its own database, owner role and login role on the local server,
 * named exactly as in production (components/postgres), and returns each one's URLs.
 * `prefix` names a separate set (the bench's `bench_` databases).
 */
export async function provisionDatabases(
  adminUrl: string,
  services: readonly Pick<RegisteredService, "name" | "databaseAccess">[],
  prefix = "",
): Promise<Record<string, DatabaseUrls>> {
  const urls: Record<string, DatabaseUrls> = {};
  for (const service of services) {
    const name = `${prefix}${service.name}`;
    urls[service.name] = await provisionDatabase(adminUrl, postgresNames(name), service.databaseAccess, {
      role: localSecret(`postgres-${name}`),
      owner: localSecret(`postgres-${name}-owner`),
    });
  }
  return urls;
}
