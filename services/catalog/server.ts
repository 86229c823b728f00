import { join } from "node:path";
import { CatalogService, file_platform_catalog_v1_catalog } from "../gen/platform/catalog/v1/catalog_pb.js";
import { count } from "../runtime/config.js";
import { connectRedis } from "../runtime/redis.js";
import type { ServiceDefinition } from "../runtime/run-service.js";
import { ProductCache } from "./cache.js";
import { catalogHandlers } from "./handlers.js";
import spec from "./service.js";

const env = {
  CATALOG_CACHE_TTL_SECONDS: count.default(300).describe("how long a product stays cached"),
  CATALOG_CACHE_MISSING_TTL_SECONDS: count.default(30).describe('how long "no such product" stays cached'),
  CATALOG_LOCAL_CACHE_ENTRIES: count
    .default(10_000)
    .describe("products each replica keeps in process, invalidated by Redis (client-side caching); 0: none"),
};

/** The catalog service: products, prices and stock behind a read-through Redis cache. */
export const definition: ServiceDefinition<typeof CatalogService, typeof env> = {
  spec,
  rpc: { service: CatalogService, file: file_platform_catalog_v1_catalog },
  env,
  migrations: join(import.meta.dirname, "migrations"),
  async start({ db, redis, logger, config, outbox }) {
    const entries = config.CATALOG_LOCAL_CACHE_ENTRIES;
    // Reads go through a connection of their own that Redis tracks, so a cached product
    // costs no round trip; writes and fill locks stay on the shared one.
    const reader =
      entries > 0 && config.REDIS_URL
        ? await connectRedis(config.REDIS_URL, logger, { clientSideCache: { maxEntries: entries } })
        : redis;
    const cache = new ProductCache(redis, logger, {
      ttlMs: config.CATALOG_CACHE_TTL_SECONDS * 1000,
      missingTtlMs: config.CATALOG_CACHE_MISSING_TTL_SECONDS * 1000,
      lockMs: 200,
      reader,
    });
    return {
      handlers: catalogHandlers(db, cache, outbox),
      close: reader === redis ? [] : [() => reader.quit()],
    };
  },
};
