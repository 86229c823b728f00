import { outboxColumns, outboxParams } from "../runtime/outbox.js";
import type { Queryable } from "../runtime/postgres.js";
import type { Order, OrderLine } from "./order.js";
import type { OrderState } from "./states.js";

/** An orders row as PostgreSQL returns it (bigint as a decimal string). */
interface OrderRow {
  id: string;
  user_id: string;
  idempotency_key: string;
  state: OrderState;
  lines: StoredLine[];
  total_minor: string | null;
  currency: string | null;
  reason: string;
  created_at: Date;
  updated_at: Date;
  saga_step: SagaStep;
  traceparent: string | null;
  attempts: number;
}

interface StoredLine {
  productId: string;
  quantity: number;
  unitPriceMinor?: string;
  currency?: string;
}

/** What the saga does next for a pending order. */
export type SagaStep = "reserve" | "release";

/** An order with the saga's bookkeeping. */
export interface StoredOrder extends Order {
  readonly sagaStep: SagaStep;
  readonly traceparent: string | undefined;
  readonly attempts: number;
}

const fromRow = (r: OrderRow): StoredOrder => ({
  id: r.id,
  userId: r.user_id,
  idempotencyKey: r.idempotency_key,
  state: r.state,
  lines: r.lines.map((l) => ({
    productId: l.productId,
    quantity: l.quantity,
    unitPrice:
      l.unitPriceMinor !== undefined && l.currency
        ? { amountMinor: BigInt(l.unitPriceMinor), currency: l.currency }
        : undefined,
  })),
  total:
    r.total_minor !== null && r.currency
      ? { amountMinor: BigInt(r.total_minor), currency: r.currency }
      : undefined,
  reason: r.reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  sagaStep: r.saga_step,
  traceparent: r.traceparent ?? undefined,
  attempts: r.attempts,
});

const toStored = (lines: readonly OrderLine[]): StoredLine[] =>
  lines.map((l) => ({
    productId: l.productId,
    quantity: l.quantity,
    ...(l.unitPrice
      ? { unitPriceMinor: l.unitPrice.amountMinor.toString(), currency: l.unitPrice.currency }
      : {}),
  }));

/**
 * Inserts a pending order, with its event, unless the user already placed one with this
 * idempotency key; either way returns the order that holds the key. One statement writes
 * both the order and its outbox row, or neither. Concurrent identical requests wait on the
 * unique index, so exactly one of them creates it.
 */
export async function insertPendingOrder(
  q: Queryable,
  order: Order & { traceparent: string | undefined },
  event: readonly unknown[],
): Promise<{ order: StoredOrder; created: boolean }> {
  const [created] = await q.query<OrderRow>(
    `WITH created AS (
       INSERT INTO orders (id, user_id, idempotency_key, state, lines, traceparent, created_at, updated_at)
       VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6)
       ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING *),
     event AS (INSERT INTO outbox (${outboxColumns}) SELECT ${outboxParams(7)} FROM created)
     SELECT * FROM created`,
    [
      order.id,
      order.userId,
      order.idempotencyKey,
      JSON.stringify(toStored(order.lines)),
      order.traceparent ?? null,
      order.createdAt,
      ...event,
    ],
  );
  if (created) return { order: fromRow(created), created: true };
  const [existing] = await q.query<OrderRow>(
    "SELECT * FROM orders WHERE user_id = $1 AND idempotency_key = $2",
    [order.userId, order.idempotencyKey],
  );
  if (!existing) throw new Error(`order with idempotency key of user ${order.userId} vanished`);
  return { order: fromRow(existing), created: false };
}

export async function findOrder(q: Queryable, id: string): Promise<StoredOrder | undefined> {
  const [row] = await q.query<OrderRow>("SELECT * FROM orders WHERE id = $1", [id]);
  return row && fromRow(row);
}

/**
 * Writes `next` (an order's state after a transition) with its event, in one statement:
 * only from one of the states in `from`, and never to confirmed once compensation has
 * started (a late "reserved" must not confirm an order whose stock is being released).
 * Every field the event carries is written from `next`, so the event says exactly what
 * the row holds. Undefined when the order did not move (nor was the event written).
 */
export async function moveOrder(
  q: Queryable,
  next: Order,
  from: readonly OrderState[],
  event: readonly unknown[],
): Promise<StoredOrder | undefined> {
  const [row] = await q.query<OrderRow>(
    `WITH moved AS (
       UPDATE orders SET state = $2, lines = $3, total_minor = $4, currency = $5, reason = $6, updated_at = $7
       WHERE id = $1 AND state = ANY($8::text[]) AND NOT ($2 = 'confirmed' AND saga_step = 'release')
       RETURNING *),
     event AS (INSERT INTO outbox (${outboxColumns}) SELECT ${outboxParams(9)} FROM moved)
     SELECT * FROM moved`,
    [
      next.id,
      next.state,
      JSON.stringify(toStored(next.lines)),
      next.total?.amountMinor.toString() ?? null,
      next.total?.currency ?? null,
      next.reason,
      next.updatedAt,
      from,
      ...event,
    ],
  );
  return row && fromRow(row);
}

/**
 * Commits a pending order to compensation: from now on the saga only releases its stock and
 * rejects it with `reason`. Returns false when it is no longer pending.
 */
export async function startCompensation(q: Queryable, id: string, reason: string): Promise<boolean> {
  const rows = await q.query(
    "UPDATE orders SET saga_step = 'release', reason = $2 WHERE id = $1 AND state = 'pending' RETURNING id",
    [id, reason],
  );
  return rows.length > 0;
}

/** Records why a saga step could not finish; the recovery loop tries again later. */
export async function noteFailure(q: Queryable, id: string, error: string): Promise<void> {
  await q.query("UPDATE orders SET last_error = $2 WHERE id = $1 AND state = 'pending'", [id, error]);
}

/**
 * Claims up to `limit` orders pending for at least `afterSeconds` whose retry time has come,
 * and leases them by pushing that time out (exponential backoff from `afterSeconds`, capped
 * at ten minutes but never shorter than `afterSeconds`). SKIP LOCKED lets every replica run
 * the loop: each order is claimed by one.
 */
export async function claimStuckOrders(
  q: Queryable,
  { afterSeconds, limit }: { afterSeconds: number; limit: number },
): Promise<StoredOrder[]> {
  const rows = await q.query<OrderRow>(
    `UPDATE orders o
        SET attempts = o.attempts + 1,
            retry_at = now() + make_interval(secs => greatest($1, least($1 * power(2, least(o.attempts, 16)), 600)))
      WHERE o.id IN (
        SELECT id FROM orders
         WHERE state = 'pending' AND retry_at <= now() AND updated_at <= now() - make_interval(secs => $1)
         ORDER BY retry_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED)
      RETURNING o.*`,
    [afterSeconds, limit],
  );
  return rows.map(fromRow);
}
