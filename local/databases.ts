import pg from "pg";
import { postgresNames } from "../components/postgres/postgres-plan.js";
import { localSecret } from "./secrets.js";

/**
 * Gives each service its own database and login role on the local server, named exactly
 * as in production (components/postgres), and returns each service's connection URL.
 */
export async function provisionDatabases(
  adminUrl: string,
  services: readonly string[],
): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const urls: Record<string, string> = {};
  try {
    for (const service of services) {
      const { database, role } = postgresNames(service);
      const password = localSecret(`postgres-${service}`);
      const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
      const verb = exists.rowCount ? "ALTER" : "CREATE";
      await client.query(
        `${verb} ROLE ${role} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`,
      );
      const db = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
      if (!db.rowCount) await client.query(`CREATE DATABASE ${database} OWNER ${role}`);
      await client.query(`REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`);
      const url = new URL(adminUrl);
      url.username = role;
      url.password = password;
      url.pathname = `/${database}`;
      urls[service] = url.toString();
    }
  } finally {
    await client.end();
  }
  return urls;
}
