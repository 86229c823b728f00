import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestCallers, testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers, testRedis } from "../../test/databases.js";
import { CatalogService } from "../gen/platform/catalog/v1/catalog_pb.js";
import { connectRedis, type Redis } from "../runtime/redis.js";
import { type Client, createClient, Status } from "../runtime/rpc/client.js";
import { type RunningService, runService } from "../runtime/run-service.js";
import { ProductCache } from "./cache.js";
import { definition } from "./server.js";

const admin = { userId: "u-admin", roles: ["admin"], method: "jwt" };
const shopper = { userId: "u-1", roles: ["user"], method: "jwt" };
let running: RunningService;
let env: NodeJS.ProcessEnv;
let callers: TestCallers;
/** Catalog as the gateway calls it (products, with the user's principal). */
let catalog: Client<typeof CatalogService>;
/** Catalog as orders calls it (stock). */
let stock: Client<typeof CatalogService>;
let redis: Redis;
let dropDatabase: () => Promise<void>;

const newProduct = (over: Record<string, unknown> = {}) => ({
  principal: admin,
  sku: `SKU-${randomUUID().slice(0, 8).toUpperCase()}`,
  name: "Trail shoes",
  description: "Waterproof",
  category: "shoes",
  price: { amountMinor: 8999n, currency: "EUR" },
  stock: 5,
  ...over,
});

beforeAll(async () => {
  const database = await createTestDatabase("catalog");
  dropDatabase = database.drop;
  const { url } = testRedis("catalog");
  callers = await testCallers();
  env = {
    POSTGRES_URL: database.url,
    REDIS_URL: url,
    KAFKA_BROKERS: testKafkaBrokers(),
    PORT: "0",
    LOG_LEVEL: "silent",
    ...callers.env("catalog"),
  };
  running = await runService(definition, env);
  catalog = clientAs("gateway");
  stock = clientAs("orders");
  redis = await connectRedis(url, running.logger);
});

/** A client of the running catalog with `caller`'s credentials. */
const clientAs = (caller: string, port = running.port) =>
  createClient(CatalogService, `127.0.0.1:${port}`, {
    timeoutMs: 5_000,
    caller: callers.as(caller, "catalog"),
  });

afterAll(async () => {
  catalog?.close();
  stock?.close();
  await redis?.quit();
  await running?.stop();
  await dropDatabase?.();
});

describe("catalog over real gRPC, PostgreSQL and Redis", () => {
  it("creates a product as admin and reads it back through the cache", async () => {
    const { product } = await catalog.createProduct(newProduct());
    const read = await catalog.getProduct({ id: product!.id });
    expect(read.product).toMatchObject({
      name: "Trail shoes",
      stock: 5,
      price: { amountMinor: 8999n, currency: "EUR" },
    });
    const cached = JSON.parse((await redis.get(ProductCache.key(product!.id)))!);
    expect(cached).toMatchObject({ v: 1, p: { id: product!.id } });
  });

  it("refuses writes from a non-admin and from nobody", async () => {
    await expect(catalog.createProduct(newProduct({ principal: shopper }))).rejects.toMatchObject({
      code: Status.PERMISSION_DENIED,
    });
    await expect(catalog.createProduct(newProduct({ principal: undefined }))).rejects.toMatchObject({
      code: Status.UNAUTHENTICATED,
    });
  });

  it("names every invalid field", async () => {
    const err = await catalog
      .createProduct(newProduct({ sku: "bad sku", price: { amountMinor: -1n, currency: "euro" }, stock: -2 }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: Status.INVALID_ARGUMENT });
    expect(Object.keys((err as { details: object }).details).sort()).toEqual([
      "currency",
      "priceMinor",
      "sku",
      "stock",
    ]);
  });

  // A repeated sku was INVALID_ARGUMENT (a 400), not the 409 the API's document promises.
  it("refuses a second product with the same sku as ALREADY_EXISTS", async () => {
    const first = newProduct();
    await catalog.createProduct(first);
    await expect(catalog.createProduct(newProduct({ sku: first.sku }))).rejects.toMatchObject({
      code: Status.ALREADY_EXISTS,
    });
  });

  it("refuses a NUL in a name, or in the listing's category filter, as INVALID_ARGUMENT before PostgreSQL sees it", async () => {
    await expect(catalog.createProduct(newProduct({ name: "Shoe\u0000" }))).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
    await expect(catalog.listProducts({ category: "shoes\u0000" })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
  });

  it("answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one", async () => {
    await expect(catalog.getProduct({ id: randomUUID() })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(catalog.getProduct({ id: "42" })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
  });

  it("serves an update at once: the write replaces the cached version", async () => {
    const { product } = await catalog.createProduct(newProduct());
    // The second read answers from the cache, with the answer encoded for this version.
    for (let i = 0; i < 2; i++)
      expect((await catalog.getProduct({ id: product!.id })).product).toMatchObject({ version: 1 });
    await catalog.updateProduct({
      principal: admin,
      id: product!.id,
      name: "Trail shoes v2",
      price: { amountMinor: 7999n, currency: "EUR" },
    });
    const read = await catalog.getProduct({ id: product!.id });
    expect(read.product).toMatchObject({ name: "Trail shoes v2", version: 2, price: { amountMinor: 7999n } });
  });

  it("pages through a category with cursors, every product once", async () => {
    const category = `cat-${randomUUID().slice(0, 6)}`;
    const ids = new Set<string>();
    for (let i = 0; i < 23; i++) ids.add((await catalog.createProduct(newProduct({ category }))).product!.id);
    const seen: string[] = [];
    let cursor = "";
    let pages = 0;
    do {
      const page = await catalog.listProducts({ category, page: { cursor, limit: 10 } });
      seen.push(...page.products.map((p) => p.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(23);
    expect(new Set(seen)).toEqual(ids);
  });

  it("refuses a cursor it did not issue", async () => {
    await expect(catalog.listProducts({ page: { cursor: "bm9wZQ", limit: 5 } })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
  });
});

describe("stock reservations", () => {
  it("reserves all lines or none, and never lets stock go negative", async () => {
    const a = (await catalog.createProduct(newProduct({ stock: 2 }))).product!;
    const b = (await catalog.createProduct(newProduct({ stock: 1 }))).product!;
    const lines = [
      { productId: a.id, quantity: 1 },
      { productId: b.id, quantity: 2 },
    ];
    await expect(
      stock.reserveStock({ idempotencyKey: randomUUID(), orderId: randomUUID(), lines }),
    ).rejects.toMatchObject({
      code: Status.FAILED_PRECONDITION,
    });
    expect((await catalog.getProduct({ id: a.id })).product?.stock).toBe(2);
  });

  it("returns the first outcome for a repeated idempotency key and reserves once", async () => {
    const p = (await catalog.createProduct(newProduct({ stock: 5 }))).product!;
    const request = {
      idempotencyKey: randomUUID(),
      orderId: randomUUID(),
      lines: [{ productId: p.id, quantity: 2 }],
    };
    const first = await stock.reserveStock(request);
    const again = await stock.reserveStock(request);
    expect(again.reservationId).toBe(first.reservationId);
    expect(again.unitPrices[0]?.amountMinor).toBe(8999n);
    expect((await catalog.getProduct({ id: p.id })).product?.stock).toBe(3);
  });

  it("sells the last units exactly once under concurrent orders", async () => {
    const p = (await catalog.createProduct(newProduct({ stock: 3 }))).product!;
    const attempts = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        stock.reserveStock({
          idempotencyKey: randomUUID(),
          orderId: randomUUID(),
          lines: [{ productId: p.id, quantity: 1 }],
        }),
      ),
    );
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(3);
    expect((await catalog.getProduct({ id: p.id })).product?.stock).toBe(0);
  });

  it("releases a reservation's stock once, however often it is asked", async () => {
    const p = (await catalog.createProduct(newProduct({ stock: 4 }))).product!;
    const orderId = randomUUID();
    await stock.reserveStock({
      idempotencyKey: randomUUID(),
      orderId,
      lines: [{ productId: p.id, quantity: 3 }],
    });
    expect((await stock.releaseStock({ idempotencyKey: randomUUID(), orderId })).released).toBe(true);
    expect((await stock.releaseStock({ idempotencyKey: randomUUID(), orderId })).released).toBe(true);
    expect((await catalog.getProduct({ id: p.id })).product?.stock).toBe(4);
    expect((await stock.releaseStock({ idempotencyKey: randomUUID(), orderId: randomUUID() })).released).toBe(
      false,
    );
  });
});

describe("who may call catalog (each attack worked before calls carried tokens)", () => {
  const reservation = () => ({
    idempotencyKey: randomUUID(),
    orderId: randomUUID(),
    lines: [{ productId: randomUUID(), quantity: 1 }],
  });

  it("refuses a call without a caller token, and one from a service it does not know", async () => {
    const anonymous = createClient(CatalogService, `127.0.0.1:${running.port}`, { timeoutMs: 5_000 });
    const intruder = clientAs("intruder");
    await expect(anonymous.getProduct({ id: randomUUID() })).rejects.toMatchObject({
      code: Status.UNAUTHENTICATED,
    });
    await expect(intruder.createProduct(newProduct())).rejects.toMatchObject({
      code: Status.UNAUTHENTICATED,
    });
    anonymous.close();
    intruder.close();
  });

  it("moves stock for orders alone: the gateway and search are refused", async () => {
    const gateway = catalog;
    const search = clientAs("search");
    for (const client of [gateway, search])
      await expect(client.reserveStock(reservation())).rejects.toMatchObject({
        code: Status.PERMISSION_DENIED,
      });
    await expect(
      search.releaseStock({ idempotencyKey: randomUUID(), orderId: randomUUID() }),
    ).rejects.toMatchObject({ code: Status.PERMISSION_DENIED });
    search.close();
  });

  it("refuses a forged principal: an admin named by orders, or one the gateway's token does not vouch for", async () => {
    // orders may call catalog, but it does not authenticate users: its "admin" is not believed.
    await expect(stock.createProduct(newProduct())).rejects.toMatchObject({ code: Status.PERMISSION_DENIED });
    // The gateway's token vouches for a shopper; the message claims an admin.
    const shopperToken = callers.as("gateway", "catalog").authorization({ principal: shopper });
    await expect(
      catalog.createProduct(newProduct(), { metadata: { authorization: shopperToken } }),
    ).rejects.toMatchObject({ code: Status.PERMISSION_DENIED });
  });

  it("takes the principal from the token when the message carries none", async () => {
    const adminToken = callers.as("gateway", "catalog").authorization({ principal: admin });
    const { product } = await catalog.createProduct(newProduct({ principal: undefined }), {
      metadata: { authorization: adminToken },
    });
    expect(product?.name).toBe("Trail shoes");
  });

  it("serves gRPC reflection outside production only", async () => {
    const production = await runService(definition, { ...env, NODE_ENV: "production" });
    try {
      expect(await reflectionAnswers(running.port)).toBe(true);
      expect(await reflectionAnswers(production.port)).toBe(false);
    } finally {
      await production.stop();
    }
  });
});

/** Whether the server at `port` answers a reflection request (UNIMPLEMENTED when reflection is off). */
async function reflectionAnswers(port: number): Promise<boolean> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    (b: Buffer) => b,
    (b: Buffer) => b,
  );
  // ServerReflectionRequest { list_services: "" } is field 7, an empty string.
  call.write(Buffer.from([0x3a, 0x00]));
  try {
    return await new Promise<boolean>((resolve, reject) => {
      call.on("data", () => resolve(true));
      call.on("error", (err: grpc.ServiceError) =>
        err.code === grpc.status.UNIMPLEMENTED ? resolve(false) : reject(err),
      );
    });
  } finally {
    call.cancel();
    client.close();
  }
}
