import type { Queryable } from "../runtime/postgres.js";

/** A product as stored; money in minor units, never floats. */
export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price_minor: string;
  currency: string;
  stock: number;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  category: string;
  priceMinor: bigint;
  currency: string;
  stock: number;
}

export type ProductChanges = Partial<Omit<NewProduct, "sku">>;

const columns =
  "id, sku, name, description, category, price_minor, currency, stock, version, created_at, updated_at";

export async function findProduct(db: Queryable, id: string): Promise<ProductRow | undefined> {
  const [row] = await db.query<ProductRow>(`SELECT ${columns} FROM products WHERE id = $1`, [id]);
  return row;
}

/** A keyset position in the listing: after (createdAt, id). */
export interface ListPosition {
  createdAt: string;
  id: string;
}

/**
 * A page of the listing in (created_at, id) order. Each row carries its exact position:
 * a JavaScript Date keeps milliseconds, PostgreSQL microseconds, so a cursor built from a
 * Date could land between two rows of the same millisecond.
 */
export async function listProducts(
  db: Queryable,
  options: { after?: ListPosition; limit: number; category?: string },
): Promise<(ProductRow & { position: string })[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (options.category) {
    params.push(options.category);
    conditions.push(`category = $${params.length}`);
  }
  if (options.after) {
    params.push(options.after.createdAt, options.after.id);
    conditions.push(`(created_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(options.limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return db.query<ProductRow & { position: string }>(
    `SELECT ${columns}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
     FROM products ${where} ORDER BY created_at, id LIMIT $${params.length}`,
    params,
  );
}

export async function insertProduct(db: Queryable, product: NewProduct): Promise<ProductRow> {
  const [row] = await db.query<ProductRow>(
    `INSERT INTO products (sku, name, description, category, price_minor, currency, stock)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
    [
      product.sku,
      product.name,
      product.description,
      product.category,
      product.priceMinor.toString(),
      product.currency,
      product.stock,
    ],
  );
  return row!;
}

/** Applies the given changes and bumps the version; undefined when the product does not exist. */
export async function updateProduct(
  db: Queryable,
  id: string,
  changes: ProductChanges,
): Promise<ProductRow | undefined> {
  const set: string[] = [];
  const params: unknown[] = [id];
  const column: Record<keyof ProductChanges, string> = {
    name: "name",
    description: "description",
    category: "category",
    priceMinor: "price_minor",
    currency: "currency",
    stock: "stock",
  };
  for (const [key, value] of Object.entries(changes) as [keyof ProductChanges, unknown][]) {
    if (value === undefined) continue;
    params.push(typeof value === "bigint" ? value.toString() : value);
    set.push(`${column[key]} = $${params.length}`);
  }
  const [row] = await db.query<ProductRow>(
    `UPDATE products SET ${[...set, "version = version + 1", "updated_at = now()"].join(", ")}
     WHERE id = $1 RETURNING ${columns}`,
    params,
  );
  return row;
}
