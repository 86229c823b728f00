import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRedis } from "../../test/databases.js";
import { createLogger } from "../runtime/logger.js";
import { connectRedis, type Redis } from "../runtime/redis.js";
import { ProductCache } from "./cache.js";
import type { ProductRow } from "./products.js";

const logger = createLogger("catalog-cache-test", { level: "silent" });
const options = { ttlMs: 60_000, missingTtlMs: 5_000, lockMs: 200 };
let redis: Redis;

const row = (id: string, version: number, name = "shoe"): ProductRow => ({
  id,
  sku: "SKU-1",
  name,
  description: "",
  category: "shoes",
  price_minor: "100",
  currency: "EUR",
  stock: 1,
  version,
  created_at: new Date(0),
  updated_at: new Date(0),
});

beforeAll(async () => {
  redis = await connectRedis(testRedis("cache").url, logger);
});
afterAll(() => redis?.quit());

describe("the product cache on real Redis", () => {
  it("loads a cold product once for fifty concurrent readers in two processes", async () => {
    const id = randomUUID();
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(30);
      return row(id, 1);
    };
    const replicaA = new ProductCache(redis, logger, options);
    const replicaB = new ProductCache(redis, logger, options);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? replicaA : replicaB).get(id, load)),
    );
    expect(results.every((p) => p?.id === id)).toBe(true);
    expect(loads).toBe(1);
  });

  it("serves a product from the replica's memory, and drops it the moment another replica changes it", async () => {
    const id = randomUUID();
    const url = testRedis("cache").url;
    const tracked = await connectRedis(url, logger, { clientSideCache: { maxEntries: 100 } });
    try {
      const replicaA = new ProductCache(redis, logger, { ...options, reader: tracked });
      const replicaB = new ProductCache(redis, logger, options);
      await replicaB.put(row(id, 1, "v1"));
      const fromDb = async () => row(id, 0, "from-db");
      expect(await replicaA.get(id, fromDb)).toMatchObject({ name: "v1" });
      const hits = tracked.clientSideCache!.stats().hitCount;
      expect(await replicaA.get(id, fromDb)).toMatchObject({ name: "v1" });
      expect(tracked.clientSideCache!.stats().hitCount).toBe(hits + 1);
      // Redis pushes the invalidation to A's connection when B stores version 2.
      await replicaB.put(row(id, 2, "v2"));
      await expect.poll(() => replicaA.get(id, fromDb), { timeout: 2_000 }).toMatchObject({ name: "v2" });
    } finally {
      await tracked.quit();
    }
  });

  it("reads its own write at once, without waiting for Redis's invalidation on its tracked connection", async () => {
    const id = randomUUID();
    const tracked = await connectRedis(testRedis("cache").url, logger, {
      clientSideCache: { maxEntries: 100 },
    });
    try {
      const replica = new ProductCache(redis, logger, { ...options, reader: tracked });
      const fromDb = async () => row(id, 0, "from-db");
      // The write's reply and the invalidation arrive on two connections in either order:
      // many rounds make the stale order all but certain to come up at least once.
      for (let version = 1; version <= 40; version++) {
        await replica.put(row(id, version, `v${version}`));
        expect(await replica.get(id, fromDb)).toMatchObject({ name: `v${version}`, version });
      }
    } finally {
      await tracked.quit();
    }
  });

  it("never lets an older version replace a newer one", async () => {
    const id = randomUUID();
    const cache = new ProductCache(redis, logger, options);
    await cache.put(row(id, 3, "new"));
    await cache.put(row(id, 2, "stale"));
    const product = await cache.get(id, async () => row(id, 1, "from-db"));
    expect(product).toMatchObject({ name: "new", version: 3 });
  });

  it("remembers a missing product briefly instead of asking the database again", async () => {
    const id = randomUUID();
    const cache = new ProductCache(redis, logger, options);
    let loads = 0;
    const load = async () => {
      loads++;
      return undefined;
    };
    await cache.get(id, load);
    expect(await cache.get(id, load)).toBeUndefined();
    expect(loads).toBe(1);
  });

  it("falls back to the database when Redis is unreachable", async () => {
    const dead = createClient({ url: "redis://127.0.0.1:1", disableOfflineQueue: true }) as Redis;
    const cache = new ProductCache(dead, logger, options);
    const id = randomUUID();
    expect(await cache.get(id, async () => row(id, 1))).toMatchObject({ id });
  });
});
