/**
 * Zone loss end to end: three catalog replicas as their own processes (zones a, b, c) on one
 * database, Redis and Kafka, read through a balanced client while one is killed with SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCallers } from "../../../test/callers.js";
import { createTestDatabase, testKafkaBrokers, testRedis } from "../../../test/databases.js";
import { CatalogService } from "../../gen/platform/catalog/v1/catalog_pb.js";
import { type BalancedClient, createBalancedClient } from "./balancer.js";

const run = randomBytes(4).toString("hex");
const admin = { userId: `admin-${run}`, roles: ["user", "admin"], method: "jwt" };
const zones = ["a", "b", "c"] as const;

interface CatalogReplica {
  readonly zone: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Whether it logged that its outbox relay holds the lock. */
  relaying: boolean;
}

const replicas: CatalogReplica[] = [];
let drop: (() => Promise<void>) | undefined;
let client: BalancedClient<typeof CatalogService>;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A catalog replica in its own process, resolved once it serves. */
async function startCatalog(zone: string, env: NodeJS.ProcessEnv): Promise<CatalogReplica> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "services/catalog/main.ts"], {
    cwd: join(import.meta.dirname, "..", "..", ".."),
    env: { ...env, PORT: String(port), ZONE: zone },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const replica: CatalogReplica = { zone, port, child, relaying: false };
  replicas.push(replica);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"msg":"catalog serving"')) resolve();
      if (line.includes('"msg":"outbox relay active"')) replica.relaying = true;
    });
    child.once("exit", (code) =>
      reject(new Error(`catalog (zone ${zone}) exited with ${code} before serving`)),
    );
  });
  return replica;
}

beforeAll(async () => {
  const callers = await testCallers();
  const database = await createTestDatabase("zones_catalog");
  drop = database.drop;
  const env = {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    POSTGRES_URL: database.url,
    REDIS_URL: testRedis("zones-catalog").url,
    KAFKA_BROKERS: testKafkaBrokers(),
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    SHUTDOWN_DRAIN_SECONDS: "1",
    ...callers.env("catalog"),
  };
  // Zone a first: it applies the migrations; the others find them done.
  await startCatalog("a", env);
  await Promise.all(zones.slice(1).map((zone) => startCatalog(zone, env)));
  client = createBalancedClient(
    CatalogService,
    replicas.map((r) => `127.0.0.1:${r.port}`),
    { timeoutMs: 2_000, caller: callers.as("gateway", "catalog"), healthCheckIntervalMs: 500 },
  );
}, 120_000);

afterAll(async () => {
  client?.close();
  for (const { child } of replicas)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await drop?.();
});

describe("a zone lost under load", () => {
  it("costs no read through a balanced client, and another replica takes over the outbox relay", async () => {
    const { product } = await client.createProduct({
      principal: admin,
      sku: `SKU-${run.toUpperCase()}`,
      name: "Zone-proof mug",
      category: "kitchen",
      price: { amountMinor: 900n, currency: "EUR" },
      stock: 5,
    });
    // The relay is elected within its poll (2 s); exactly one replica holds it.
    await expect.poll(() => replicas.filter((r) => r.relaying).length, { timeout: 10_000 }).toBe(1);
    const leader = replicas.find((r) => r.relaying)!;

    let ok = 0;
    const failures: string[] = [];
    const until = Date.now() + 4_000;
    const worker = async () => {
      while (Date.now() < until) {
        try {
          await client.getProduct({ id: product!.id }, { idempotent: true });
          ok++;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, worker));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    leader.child.kill("SIGKILL");
    await load;

    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(100);
    const killed = client.replicas().find((r) => r.address.endsWith(`:${leader.port}`))!;
    expect(killed.serving === false || killed.ejectedUntil > 0).toBe(true);
    // Its advisory lock went with its connection: a survivor relays within its poll.
    await expect
      .poll(() => replicas.filter((r) => r !== leader && r.relaying).length, { timeout: 10_000 })
      .toBe(1);
  });
});
