import http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { privateKeyFromSeed, publicKeyFromSeed, publicKeyObject } from "../../../contracts/ed25519.js";
import { generateSecret } from "../../../contracts/service-spec.js";
import {
  CatalogService,
  file_platform_catalog_v1_catalog,
} from "../../gen/platform/catalog/v1/catalog_pb.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { RequestMetrics } from "../metrics.js";
import { type BalancedClient, createBalancedClient, replicaAddresses } from "./balancer.js";
import { CallerCheck } from "./caller-check.js";
import { CallerIdentity } from "./caller-identity.js";
import { RpcError, Status } from "./client.js";
import { RpcServer } from "./server.js";

const seed = generateSecret("key-256-base64");
const callers = new CallerCheck({
  service: "catalog",
  keys: new Map([["orders", publicKeyObject(publicKeyFromSeed(seed))!]]),
  principalCallers: new Set(),
  methodCallers: {},
});
const caller = new CallerIdentity("orders", privateKeyFromSeed(seed)).towards("catalog");
const logger = createLogger("balancer-test", { level: "silent" });
const metrics = new RequestMetrics("catalog", { zone: "test", version: "test" });

/** One replica of catalog: it answers GetProduct with its own name, after `delayMs`. */
class Replica {
  readonly calls: string[] = [];
  delayMs = 0;
  server!: RpcServer;
  port = 0;

  constructor(readonly name: string) {}

  async start(port = 0): Promise<this> {
    const product = async (id: string, caller: string, signal: AbortSignal) => {
      this.calls.push(caller);
      if (this.delayMs) await sleep(this.delayMs, undefined, { signal }).catch(() => undefined);
      return { product: { id, name: this.name } };
    };
    this.server = new RpcServer(
      CatalogService,
      {
        getProduct: (request, call) => product(request.id, call.caller, call.signal),
        listProducts: async () => ({}),
        createProduct: async (_, call) => product("new", call.caller, call.signal),
        updateProduct: async () => ({}),
        reserveStock: async () => ({}),
        releaseStock: async () => ({}),
      },
      { file: file_platform_catalog_v1_catalog, logger, metrics, callers, reflection: false },
    );
    this.port = await this.server.listen("127.0.0.1", port);
    return this;
  }

  get address() {
    return `127.0.0.1:${this.port}`;
  }

  stop() {
    return this.server.stopAccepting();
  }
}

/** A replica that crashes in the middle of every call: the request arrives, the connection drops. */
async function crashingReplica() {
  const server = http2.createServer();
  let received = 0;
  server.on("stream", (stream) => {
    received++;
    stream.session?.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    received: () => received,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function replicas(count: number): Promise<Replica[]> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => new Replica(`r${i}`).start()));
  for (const r of started) cleanups.push(() => r.stop());
  return started;
}

function balanced(
  addresses: readonly string[],
  options: Partial<Parameters<typeof createBalancedClient>[2]> = {},
) {
  const client: BalancedClient<typeof CatalogService> = createBalancedClient(CatalogService, addresses, {
    timeoutMs: 1_000,
    caller,
    healthCheckIntervalMs: 50,
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

describe("createBalancedClient", () => {
  it("spreads calls evenly over the replicas, round robin", async () => {
    const rs = await replicas(3);
    const client = balanced(rs.map((r) => r.address));
    for (let i = 0; i < 30; i++) await client.getProduct({ id: `p${i}` });
    expect(rs.map((r) => r.calls.length)).toEqual([10, 10, 10]);
  });

  it("signs every call with the caller's token, whichever replica takes it", async () => {
    const rs = await replicas(2);
    const client = balanced(rs.map((r) => r.address));
    await Promise.all([client.getProduct({ id: "a" }), client.getProduct({ id: "b" })]);
    expect(rs.flatMap((r) => r.calls)).toEqual(["orders", "orders"]);
  });

  it("retries calls refused by a stopped replica on the others, idempotent or not, and ejects it", async () => {
    const rs = await replicas(3);
    const client = balanced(
      rs.map((r) => r.address),
      { healthCheckIntervalMs: 60_000, ejectAfterFailures: 2 },
    );
    await rs[1]!.stop();
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => client.createProduct({ sku: `s${i}` })),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(client.replicas()[1]!.ejectedUntil).toBeGreaterThan(Date.now());
  });

  it("retries an idempotent call that failed mid-call on another replica, with no failure seen", async () => {
    const crashing = await crashingReplica();
    cleanups.push(crashing.stop);
    const [healthy] = await replicas(1);
    const client = balanced([crashing.address, healthy!.address], { healthCheckIntervalMs: 60_000 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => client.getProduct({ id: `p${i}` }, { idempotent: true })),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(crashing.received()).toBeGreaterThan(0);
  });

  it("does not repeat a call that is not idempotent once a replica may have run it", async () => {
    const crashing = await crashingReplica();
    cleanups.push(crashing.stop);
    const [healthy] = await replicas(1);
    const client = balanced([crashing.address, healthy!.address], { healthCheckIntervalMs: 60_000 });
    await expect(client.createProduct({ sku: "once" })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(healthy!.calls).toEqual([]);
  });

  it("stops sending calls to a replica whose health check fails, and takes it back once it serves again", async () => {
    const rs = await replicas(2);
    const client = balanced(rs.map((r) => r.address));
    const port = rs[1]!.port;
    await rs[1]!.stop();
    await expect.poll(() => client.replicas()[1]!.serving, { timeout: 2_000 }).toBe(false);
    for (let i = 0; i < 6; i++) await client.getProduct({ id: `p${i}` });
    expect(rs[0]!.calls.length).toBe(6);

    const back = await new Replica("r1-again").start(port);
    cleanups.push(() => back.stop());
    await expect.poll(() => client.replicas()[1]!.serving, { timeout: 2_000 }).toBe(true);
    for (let i = 0; i < 6; i++) await client.getProduct({ id: `q${i}` });
    expect(back.calls.length).toBe(3);
  });

  it("keeps one deadline over all attempts", async () => {
    const crashing = await crashingReplica();
    cleanups.push(crashing.stop);
    const rs = await replicas(2);
    for (const r of rs) r.delayMs = 1_000;
    const client = balanced([crashing.address, ...rs.map((r) => r.address)], {
      healthCheckIntervalMs: 60_000,
    });
    const started = Date.now();
    const failure = await client
      .getProduct({ id: "slow" }, { timeoutMs: 150, idempotent: true })
      .catch((e) => e);
    expect(failure).toBeInstanceOf(RpcError);
    expect((failure as RpcError).code).toBe(Status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it("is the plain client when given one address", async () => {
    const [only] = await replicas(1);
    const client = balanced([only!.address]);
    const { product } = await client.getProduct({ id: "x" });
    expect(product?.name).toBe("r0");
    expect(client.replicas()).toHaveLength(1);
  });
});

describe("replicaAddresses", () => {
  const schema = z.object({ CATALOG_ADDRESS: replicaAddresses("catalog", 7102) });

  it("reads one host:port or a comma-separated list of replicas, and defaults to the registry port", () => {
    expect(loadConfig(schema, {}).CATALOG_ADDRESS).toEqual(["127.0.0.1:7102"]);
    expect(loadConfig(schema, { CATALOG_ADDRESS: "catalog.platform.svc:7102" }).CATALOG_ADDRESS).toEqual([
      "catalog.platform.svc:7102",
    ]);
    expect(loadConfig(schema, { CATALOG_ADDRESS: "127.0.0.1:7102, 127.0.0.1:7202" }).CATALOG_ADDRESS).toEqual(
      ["127.0.0.1:7102", "127.0.0.1:7202"],
    );
  });

  it("names the variable and the shape it expects when an entry is not host:port", () => {
    expect(() => loadConfig(schema, { CATALOG_ADDRESS: "127.0.0.1:7102,catalog" })).toThrow(
      /CATALOG_ADDRESS must be one host:port or a comma-separated list of replicas/,
    );
  });
});
