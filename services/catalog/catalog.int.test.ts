import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
let catalog: Client<typeof CatalogService>;
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
  running = await runService(definition, {
    POSTGRES_URL: database.url,
    REDIS_URL: url,
    KAFKA_BROKERS: testKafkaBrokers(),
    PORT: "0",
    LOG_LEVEL: "silent",
  });
  catalog = createClient(CatalogService, `127.0.0.1:${running.port}`, { timeoutMs: 5_000 });
  redis = await connectRedis(url, running.logger);
});

afterAll(async () => {
  catalog?.close();
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

  it("answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one", async () => {
    await expect(catalog.getProduct({ id: randomUUID() })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(catalog.getProduct({ id: "42" })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
  });

  it("serves an update at once: the write replaces the cached version", async () => {
    const { product } = await catalog.createProduct(newProduct());
    await catalog.getProduct({ id: product!.id });
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
      catalog.reserveStock({ idempotencyKey: randomUUID(), orderId: randomUUID(), lines }),
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
    const first = await catalog.reserveStock(request);
    const again = await catalog.reserveStock(request);
    expect(again.reservationId).toBe(first.reservationId);
    expect(again.unitPrices[0]?.amountMinor).toBe(8999n);
    expect((await catalog.getProduct({ id: p.id })).product?.stock).toBe(3);
  });

  it("sells the last units exactly once under concurrent orders", async () => {
    const p = (await catalog.createProduct(newProduct({ stock: 3 }))).product!;
    const attempts = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        catalog.reserveStock({
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
    await catalog.reserveStock({
      idempotencyKey: randomUUID(),
      orderId,
      lines: [{ productId: p.id, quantity: 3 }],
    });
    expect((await catalog.releaseStock({ idempotencyKey: randomUUID(), orderId })).released).toBe(true);
    expect((await catalog.releaseStock({ idempotencyKey: randomUUID(), orderId })).released).toBe(true);
    expect((await catalog.getProduct({ id: p.id })).product?.stock).toBe(4);
    expect(
      (await catalog.releaseStock({ idempotencyKey: randomUUID(), orderId: randomUUID() })).released,
    ).toBe(false);
  });
});
