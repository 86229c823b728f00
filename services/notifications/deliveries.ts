import type { CloudEvent } from "../runtime/events.js";
import type { Queryable } from "../runtime/postgres.js";
import { audienceView, type WebhookScope } from "./audience.js";
import { patternsMatching } from "./event-types.js";

export type DeliveryStatus = "pending" | "delivered" | "retrying" | "dead";

export interface DeliveryRow {
  id: string;
  seq: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A delivery a worker has claimed, with what it needs to send it. */
export interface ClaimedDelivery extends DeliveryRow {
  payload: unknown;
  url: string;
  owner_id: string;
  secret_sealed: Buffer;
  /** Sent as its open circuit's probe (circuits.ts). */
  probe: boolean;
}

export const deliveryColumns =
  "d.id, d.seq, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at, " +
  "d.last_status_code, d.last_error, d.created_at, d.updated_at";

/** The channel that wakes delivery workers when deliveries are enqueued. */
export const deliveryChannel = "notifications_deliveries";

/**
 * Fans a consumed event out to the webhooks that subscribed to its type and may see it: one
 * pending delivery each, carrying what that webhook may see of it (audience.ts), in the
 * consumer's transaction (so exactly once per event, since the
 * runtime records the event id in the same transaction). Returns how many were enqueued.
 */
export async function enqueueDeliveries(tx: Queryable, event: CloudEvent): Promise<number> {
  const candidates = await tx.query<{ id: string; owner_id: string; scope: WebhookScope }>(
    "SELECT id, owner_id, scope FROM webhooks WHERE event_types && $1::text[]",
    [patternsMatching(event.type)],
  );
  const deliveries = candidates.flatMap((w) => {
    const view = audienceView(event, { ownerId: w.owner_id, scope: w.scope });
    return view ? [{ webhookId: w.id, payload: JSON.stringify(view) }] : [];
  });
  if (deliveries.length === 0) return 0;
  const inserted = await tx.query(
    `INSERT INTO deliveries (id, webhook_id, event_id, event_type, payload, next_attempt_at)
     SELECT gen_random_uuid(), webhook_id, $3, $4, payload::json, now()
     FROM unnest($1::uuid[], $2::text[]) AS d(webhook_id, payload)
     ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING id`,
    [deliveries.map((d) => d.webhookId), deliveries.map((d) => d.payload), event.id, event.type],
  );
  // Delivered to listening workers only when the transaction commits.
  if (inserted.length > 0) await tx.query("SELECT pg_notify($1, '')", [deliveryChannel]);
  return inserted.length;
}

export interface AttemptResult {
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly statusCode?: number;
  readonly error?: string;
}

/**
 * Records how an attempt ended and the delivery's next state: `delivered`; `retrying` at
 * `retryAt`; or `dead` when `retryAt` is undefined (no attempts left). Guarded by the attempt
 * number, so a worker whose lease ran out cannot overwrite a newer attempt. Returns the
 * updated row, or undefined when the delivery was taken again or its webhook deleted.
 */
export async function recordAttempt(
  tx: Queryable,
  delivery: ClaimedDelivery,
  result: AttemptResult,
  next: { status: "delivered" | "dead" } | { status: "retrying"; retryAt: Date },
): Promise<DeliveryRow | undefined> {
  const [row] = await tx.query<DeliveryRow>(
    `UPDATE deliveries d
     SET status = $3, next_attempt_at = $4, last_status_code = $5, last_error = $6, leased_until = NULL,
         updated_at = now()
     WHERE d.id = $1 AND d.attempts = $2
     RETURNING ${deliveryColumns}`,
    [
      delivery.id,
      delivery.attempts,
      next.status,
      next.status === "retrying" ? next.retryAt : null,
      result.statusCode ?? null,
      result.error ?? null,
    ],
  );
  if (!row) return undefined;
  await tx.query(
    `INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [
      delivery.id,
      delivery.attempts,
      result.startedAt,
      result.durationMs,
      result.statusCode ?? null,
      result.error ?? null,
    ],
  );
  return row;
}

/** One webhook's deliveries, newest first, after the `before` position (a seq). */
export function listDeliveries(
  db: Queryable,
  webhookId: string,
  page: { before: bigint | undefined; limit: number },
): Promise<DeliveryRow[]> {
  return db.query<DeliveryRow>(
    `SELECT ${deliveryColumns} FROM deliveries d
     WHERE d.webhook_id = $1 AND ($2::bigint IS NULL OR d.seq < $2)
     ORDER BY d.seq DESC LIMIT $3`,
    [webhookId, page.before?.toString() ?? null, page.limit],
  );
}

/** The delivery's state in events (`data.delivery`). */
export const deliveryState = (row: DeliveryRow, ownerId: string) => ({
  id: row.id,
  webhook_id: row.webhook_id,
  user_id: ownerId,
  event_id: row.event_id,
  event_type: row.event_type,
  status: row.status,
  attempts: row.attempts,
  last_status_code: row.last_status_code,
  last_error: row.last_error,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

/** The delivery as the API shows it. */
export const deliveryMessage = (row: DeliveryRow) => ({
  id: row.id,
  webhookId: row.webhook_id,
  eventId: row.event_id,
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  lastStatusCode: row.last_status_code ?? 0,
  lastError: row.last_error ?? "",
  updatedAt: row.updated_at.toISOString(),
});
