import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../runtime/logger.js";
import { luaScript, type Redis, redisOp } from "../runtime/redis.js";
import type { ProductRow } from "./products.js";

/**
 * The read-through product cache. Entries carry the product's version and are only ever
 * replaced by a newer one (an atomic compare in Lua), so a slow reader can never put back
 * data older than what a writer stored: a write "invalidates" by storing its new version.
 * Misses are filled once per key across replicas (a short fill lock) and once per process
 * (single flight), so a hot product expiring does not stampede the database.
 */
export interface ProductCacheOptions {
  readonly ttlMs: number;
  /** How long "no such product" is remembered. */
  readonly missingTtlMs: number;
  readonly lockMs: number;
  /** The client product reads go through (one with client-side caching); the shared one by default. */
  readonly reader?: Redis;
}

type Entry = { v: number; p?: CachedProduct };
/** A product as cached: dates as ISO strings, money as a decimal string. */
export type CachedProduct = Omit<ProductRow, "created_at" | "updated_at"> & {
  created_at: string;
  updated_at: string;
};

/** KEYS: the entry, and the fill lock to release with it when a miss filled it. */
const setIfNewer = luaScript(
  "catalog-set-if-newer",
  `if KEYS[2] then redis.call('DEL', KEYS[2]) end
   local current = redis.call('GET', KEYS[1])
   if current then
     local v = tonumber(string.match(current, '^{"v":(%d+)'))
     if v and v >= tonumber(ARGV[2]) then return 0 end
   end
   redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
   return 1`,
);

/** Parsed entries kept at most (oldest out): the text comparison keeps each one right. */
const maxParsed = 10_000;

export function toCached(row: ProductRow): CachedProduct {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
}

export class ProductCache {
  readonly #inflight = new Map<string, Promise<CachedProduct | undefined>>();
  /** The last entry parsed per product, with the text it came from: equal text, same entry. */
  readonly #parsed = new Map<string, { raw: string; entry: Entry }>();
  #redisDown = false;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly options: ProductCacheOptions,
  ) {}

  static key = (id: string) => `catalog:product:${id}`;
  static lockKey = (id: string) => `catalog:fill:${id}`;

  /** The product by id through the cache; `load` reads the database on a miss. */
  get(id: string, load: () => Promise<ProductRow | undefined>): Promise<CachedProduct | undefined> {
    const pending = this.#inflight.get(id);
    if (pending) return pending;
    const lookup = this.#readThrough(id, load).finally(() => this.#inflight.delete(id));
    this.#inflight.set(id, lookup);
    return lookup;
  }

  /** Stores a product's new version after a committed write. */
  async put(row: ProductRow): Promise<void> {
    await this.#safely(() => this.#store(row.id, { v: row.version, p: toCached(row) }, this.options.ttlMs));
  }

  async #readThrough(
    id: string,
    load: () => Promise<ProductRow | undefined>,
  ): Promise<CachedProduct | undefined> {
    const cached = await this.#safely(() => this.#read(id));
    if (cached) return cached.p;
    const locked = await this.#safely(() =>
      redisOp("SET NX", () =>
        this.redis.set(ProductCache.lockKey(id), "1", {
          condition: "NX",
          expiration: { type: "PX", value: this.options.lockMs },
        }),
      ),
    );
    if (locked === null) {
      // Another replica is filling this key: give it a moment, then read the database anyway.
      for (let waited = 0; waited < this.options.lockMs; waited += 20) {
        await sleep(20);
        const filled = await this.#safely(() => this.#read(id));
        if (filled) return filled.p;
      }
    }
    const row = await load();
    // The fill and the lock's release in one round trip.
    await this.#safely(() =>
      row
        ? this.#store(id, { v: row.version, p: toCached(row) }, this.options.ttlMs, true)
        : this.#store(id, { v: 0 }, this.options.missingTtlMs, true),
    );
    return row ? toCached(row) : undefined;
  }

  async #read(id: string): Promise<Entry | undefined> {
    const reader = this.options.reader ?? this.redis;
    const raw = await redisOp("GET", () => reader.get(ProductCache.key(id)));
    if (!raw) return undefined;
    const known = this.#parsed.get(id);
    if (known?.raw === raw) return known.entry;
    const entry = JSON.parse(raw) as Entry;
    if (this.#parsed.size >= maxParsed) this.#parsed.delete(this.#parsed.keys().next().value!);
    this.#parsed.set(id, { raw, entry });
    return entry;
  }

  async #store(id: string, entry: Entry, ttlMs: number, releaseLock = false) {
    // "v" must stay the first key: the Lua compare reads it from the start of the JSON.
    const json = JSON.stringify({ v: entry.v, ...(entry.p ? { p: entry.p } : {}) });
    const key = ProductCache.key(id);
    const keys = releaseLock ? [key, ProductCache.lockKey(id)] : [key];
    const stored = await setIfNewer(this.redis, keys, [json, entry.v, ttlMs]);
    // Redis's invalidation reaches the tracked reader on its own connection, possibly after
    // this reply: drop the local copy now, so this replica reads its own write at once.
    this.options.reader?.clientSideCache?.invalidate(key);
    return stored;
  }

  /** The cache is an optimisation: when Redis fails, reads go to the database (logged once). */
  async #safely<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work();
      if (this.#redisDown) this.logger.info("product cache available again");
      this.#redisDown = false;
      return result;
    } catch (err) {
      if (!this.#redisDown)
        this.logger.warn({ err: (err as Error).message }, "product cache unavailable; reading the database");
      this.#redisDown = true;
      return undefined;
    }
  }
}
