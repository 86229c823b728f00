import {
  type CatalogService,
  GetProductResponseSchema,
  type Product,
} from "../gen/platform/catalog/v1/catalog_pb.js";
import { alreadyExists, invalidArgument, notFound } from "../runtime/errors.js";
import type { EventOutbox } from "../runtime/event-wiring.js";
import type { Database, Queryable } from "../runtime/postgres.js";
import { type Encoded, encodeAnswer } from "../runtime/rpc/encoded.js";
import type { Handlers } from "../runtime/rpc/server.js";
import { type CachedProduct, type ProductCache, toCached } from "./cache.js";
import { decodeCursor, encodeCursor, isUuid } from "./cursor.js";
import { findProduct, insertProduct, listProducts, type ProductRow, updateProduct } from "./products.js";
import { releaseStock, reserveStock, validateLines } from "./stock.js";
import { requireAdmin, validateCategoryFilter, validateProductFields } from "./validate.js";

type ProductMessage = Omit<Product, "$typeName" | "price"> & {
  price: { amountMinor: bigint; currency: string };
};

function toMessage(p: CachedProduct): ProductMessage {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    description: p.description,
    category: p.category,
    price: { amountMinor: BigInt(p.price_minor), currency: p.currency },
    stock: p.stock,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
    version: p.version,
  };
}

const row = (r: ProductRow) => toMessage(toCached(r));

function requireId(id: string): void {
  if (!isUuid(id)) throw invalidArgument("not a product id", { id: "expected a UUID" });
}

const pageSize = (limit: number) => {
  if (limit < 0 || limit > 100) throw invalidArgument("limit out of range", { limit: "1 to 100" });
  return limit || 20;
};

/**
 * Every product event carries the product as it is after the change (event-carried state),
 * so search can index it and the audit trail can answer "what was it at time T".
 */
function productEvent(
  outbox: EventOutbox,
  tx: Queryable,
  row: ProductRow,
  action: string,
  actor: string,
  extra = {},
) {
  return outbox.append(tx, {
    entity: "product",
    entityId: row.id,
    action,
    actor,
    data: { product: toCached(row), ...extra },
  });
}

/** The catalog's RPCs: one small function each. */
export function catalogHandlers(
  db: Database,
  cache: ProductCache,
  outbox: EventOutbox,
): Handlers<typeof CatalogService> {
  const refresh = (rows: ProductRow[]) => Promise.all(rows.map((r) => cache.put(r)));
  // The cache hands back the same object for a product until its entry changes, so its
  // answer is encoded once per version, not once per read.
  const answers = new WeakMap<CachedProduct, Encoded<typeof GetProductResponseSchema>>();
  const answer = (product: CachedProduct) => {
    let encoded = answers.get(product);
    if (!encoded) {
      encoded = encodeAnswer(GetProductResponseSchema, { product: toMessage(product) });
      answers.set(product, encoded);
    }
    return encoded;
  };
  return {
    async getProduct({ id }) {
      requireId(id);
      const product = await cache.get(id, () => findProduct(db, id));
      if (!product) throw notFound(`product ${id}`);
      return answer(product);
    },

    async listProducts({ page, category }) {
      validateCategoryFilter(category);
      const limit = pageSize(page?.limit ?? 0);
      const rows = await listProducts(db, {
        after: decodeCursor(page?.cursor ?? ""),
        limit: limit + 1,
        category: category || undefined,
      });
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      return {
        products: rows.slice(0, limit).map(row),
        nextCursor: last ? encodeCursor({ createdAt: last.position, id: last.id }) : "",
      };
    },

    async createProduct(request) {
      requireAdmin(request.principal);
      const fields = {
        sku: request.sku,
        name: request.name,
        description: request.description,
        category: request.category,
        currency: request.price?.currency ?? "",
        priceMinor: request.price?.amountMinor ?? -1n,
        stock: request.stock,
      };
      validateProductFields(fields);
      const created = await db
        .transaction(async (tx) => {
          const row = await insertProduct(tx, fields);
          await productEvent(outbox, tx, row, "created", request.principal!.userId);
          return row;
        })
        .catch((err: { code?: string }) => {
          // The API's 409: the document promises it for a second product with the same sku.
          if (err.code === "23505")
            throw alreadyExists(`sku ${fields.sku} is already used by another product`);
          throw err;
        });
      await cache.put(created);
      return { product: row(created) };
    },

    async updateProduct(request) {
      requireAdmin(request.principal);
      requireId(request.id);
      const changes = {
        name: request.name,
        description: request.description,
        category: request.category,
        currency: request.price?.currency,
        priceMinor: request.price?.amountMinor,
        stock: request.stock,
      };
      validateProductFields(changes);
      const updated = await db.transaction(async (tx) => {
        const row = await updateProduct(tx, request.id, changes);
        if (!row) throw notFound(`product ${request.id}`);
        const changed = Object.keys(changes).filter((k) => changes[k as keyof typeof changes] !== undefined);
        await productEvent(outbox, tx, row, "updated", request.principal!.userId, { changed });
        return row;
      });
      await cache.put(updated);
      return { product: row(updated) };
    },

    async reserveStock({ idempotencyKey, orderId, lines }) {
      if (!idempotencyKey)
        throw invalidArgument("an idempotency key is required", { idempotencyKey: "missing" });
      if (!orderId) throw invalidArgument("an order id is required", { orderId: "missing" });
      validateLines(lines);
      const reservation = await db.transaction(async (tx) => {
        const result = await reserveStock(tx, idempotencyKey, orderId, lines);
        for (const row of result.changed) {
          await productEvent(outbox, tx, row, "stock-reserved", `order:${orderId}`, { orderId });
        }
        return result;
      });
      await refresh(reservation.changed);
      return { reservationId: reservation.reservationId, unitPrices: reservation.unitPrices };
    },

    async releaseStock({ idempotencyKey, orderId }) {
      if (!orderId) throw invalidArgument("an order id is required", { orderId: "missing" });
      const result = await db.transaction(async (tx) => {
        const released = await releaseStock(tx, idempotencyKey, orderId);
        for (const row of released.changed) {
          await productEvent(outbox, tx, row, "stock-released", `order:${orderId}`, { orderId });
        }
        return released;
      });
      await refresh(result.changed);
      return { released: result.released };
    },
  };
}
