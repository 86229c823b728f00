import { failedPrecondition, invalidArgument, notFound } from "../runtime/errors.js";
import type { Queryable } from "../runtime/postgres.js";
import type { ProductRow } from "./products.js";

export interface StockLine {
  productId: string;
  quantity: number;
}

export interface Reservation {
  reservationId: string;
  unitPrices: { amountMinor: bigint; currency: string }[];
  /** Products whose stock changed, to refresh in the cache after commit. */
  changed: ProductRow[];
}

interface StoredLine extends StockLine {
  priceMinor: string;
  currency: string;
}

/**
 * Reserves every line or none, in one transaction. Lines are taken in product-id order so
 * two orders over the same products cannot deadlock; each decrement is conditional on
 * enough stock. A repeated idempotency key returns the first reservation.
 */
export async function reserveStock(
  tx: Queryable,
  key: string,
  orderId: string,
  lines: StockLine[],
): Promise<Reservation> {
  const [previous] = await tx.query<{ idempotency_key: string; order_id: string; lines: StoredLine[] }>(
    "SELECT idempotency_key, order_id, lines FROM stock_reservations WHERE idempotency_key = $1 OR order_id = $2",
    [key, orderId],
  );
  if (previous) {
    if (previous.idempotency_key !== key)
      throw failedPrecondition(`order ${orderId} already holds a reservation`);
    return {
      reservationId: previous.idempotency_key,
      unitPrices: previous.lines.map((l) => ({ amountMinor: BigInt(l.priceMinor), currency: l.currency })),
      changed: [],
    };
  }
  const byProduct = new Map<string, number>();
  for (const line of lines)
    byProduct.set(line.productId, (byProduct.get(line.productId) ?? 0) + line.quantity);
  const changed = new Map<string, ProductRow>();
  for (const [productId, quantity] of [...byProduct].sort(([a], [b]) => a.localeCompare(b))) {
    const [row] = await tx.query<ProductRow>(
      `UPDATE products SET stock = stock - $2, version = version + 1, updated_at = now()
       WHERE id = $1 AND stock >= $2 RETURNING *`,
      [productId, quantity],
    );
    if (!row) {
      const [exists] = await tx.query<{ stock: number }>("SELECT stock FROM products WHERE id = $1", [
        productId,
      ]);
      if (!exists) throw notFound(`product ${productId}`);
      throw failedPrecondition(
        `insufficient stock for product ${productId}: ${exists.stock} left, ${quantity} asked`,
      );
    }
    changed.set(productId, row);
  }
  const stored: StoredLine[] = lines.map((l) => {
    const row = changed.get(l.productId)!;
    return { ...l, priceMinor: row.price_minor, currency: row.currency };
  });
  await tx.query(
    "INSERT INTO stock_reservations (idempotency_key, order_id, state, lines) VALUES ($1, $2, 'reserved', $3)",
    [key, orderId, JSON.stringify(stored)],
  );
  return {
    reservationId: key,
    unitPrices: stored.map((l) => ({ amountMinor: BigInt(l.priceMinor), currency: l.currency })),
    changed: [...changed.values()],
  };
}

/**
 * Returns a reservation's stock, once: releasing again (with any key) reports it released
 * and changes nothing. An order that never reserved releases nothing.
 */
export async function releaseStock(
  tx: Queryable,
  key: string,
  orderId: string,
): Promise<{ released: boolean; changed: ProductRow[] }> {
  const [reservation] = await tx.query<{ state: string; lines: StoredLine[] }>(
    "SELECT state, lines FROM stock_reservations WHERE order_id = $1 FOR UPDATE",
    [orderId],
  );
  if (!reservation) return { released: false, changed: [] };
  if (reservation.state === "released") return { released: true, changed: [] };
  const changed: ProductRow[] = [];
  for (const line of [...reservation.lines].sort((a, b) => a.productId.localeCompare(b.productId))) {
    const [row] = await tx.query<ProductRow>(
      "UPDATE products SET stock = stock + $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING *",
      [line.productId, line.quantity],
    );
    if (row) changed.push(row);
  }
  await tx.query(
    "UPDATE stock_reservations SET state = 'released', release_key = $2, released_at = now() WHERE order_id = $1",
    [orderId, key],
  );
  return { released: true, changed };
}

export function validateLines(lines: StockLine[]): void {
  if (lines.length === 0) throw invalidArgument("an order needs at least one line", { lines: "empty" });
  if (lines.length > 100) throw invalidArgument("at most 100 lines", { lines: "too many" });
  lines.forEach((line, i) => {
    if (!/^[0-9a-f-]{36}$/i.test(line.productId))
      throw invalidArgument("not a product id", { [`lines[${i}].productId`]: "not a UUID" });
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > 1000) {
      throw invalidArgument("quantity out of range", { [`lines[${i}].quantity`]: "expected 1 to 1000" });
    }
  });
}
