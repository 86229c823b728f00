import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

/**
 * A fresh, empty PostgreSQL database on the test server, so every test file migrates and
 * works in isolation. Returns its URL and a function that drops it.
 */
export async function createTestDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = inject("servers")["PLATFORM_POSTGRES_URL"];
  if (!admin)
    throw new Error(
      "no PostgreSQL: integration tests run in the integration project (test/servers-setup.ts)",
    );
  const name = `test_${label.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The test Redis, with keys of this test file under a unique prefix. */
export function testRedis(label: string): { url: string; prefix: string } {
  const url = inject("servers")["PLATFORM_REDIS_URL"];
  if (!url)
    throw new Error("no Redis: integration tests run in the integration project (test/servers-setup.ts)");
  return { url, prefix: `test:${label}:${randomBytes(4).toString("hex")}:` };
}

/** The test Kafka broker list; the topics of the service registry exist (test/servers-setup.ts). */
export function testKafkaBrokers(): string {
  const brokers = inject("servers")["PLATFORM_KAFKA_BROKERS"];
  if (!brokers)
    throw new Error("no Kafka: integration tests run in the integration project (test/servers-setup.ts)");
  return brokers;
}
