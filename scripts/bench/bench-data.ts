import pg from "pg";
import { createClient } from "redis";
import { ProductCache } from "../../services/catalog/cache.js";
import { benchProductIdPrefix, benchProductIdSql, orderProducts } from "./requests.js";

/**
 * Products for the uncached read and the orders: `orderProducts` with stock enough for
 * every order of a bench, then `readProducts` that the uncached read walks, each read once.
 * Written straight into bench_catalog (its migrations ran when catalog started), in one
 * statement: through the API, 100k products would take minutes and emit 100k events that
 * are not what any scenario measures. Idempotent: present ids are kept.
 */
export async function seedBenchProducts(catalogUrl: string, readProducts: number): Promise<void> {
  const client = new pg.Client({ connectionString: catalogUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO products (id, sku, name, description, category, price_minor, currency, stock)
       SELECT ${benchProductIdSql("n")}, 'BENCH-' || n,
              'Bench product ' || n, 'Seeded by npm run bench.', 'bench', 1000 + n % 9000, 'EUR',
              CASE WHEN n < $1 THEN 1000000000 ELSE 100 END
       FROM generate_series(0, $2::int - 1) n
       ON CONFLICT (id) DO NOTHING`,
      [orderProducts, orderProducts + readProducts],
    );
  } finally {
    await client.end();
  }
}

/** The first product the uncached read may walk: orders keep the ones before it cached. */
export const firstReadProduct = orderProducts;

/**
 * Drops catalog's cache entries of the read products, so a walk over them misses on every
 * request whichever walks came before. UNLINK in batches, off Redis's main thread.
 */
export async function forgetCachedReadProducts(redisUrl: string): Promise<number> {
  const client = createClient({ url: redisUrl });
  await client.connect();
  let dropped = 0;
  try {
    const match = ProductCache.key(`${benchProductIdPrefix}*`);
    for await (const keys of client.scanIterator({ MATCH: match, COUNT: 1000 })) {
      if (keys.length > 0) dropped += await client.unlink(keys);
    }
  } finally {
    await client.close();
  }
  return dropped;
}
