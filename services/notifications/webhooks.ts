import { randomBytes, randomUUID } from "node:crypto";
import { failedPrecondition } from "../runtime/errors.js";
import type { Queryable } from "../runtime/postgres.js";
import { type KeyEncryptionKey, open, seal } from "../runtime/sealing.js";
import type { WebhookScope } from "./audience.js";

export interface WebhookRow {
  id: string;
  owner_id: string;
  scope: WebhookScope;
  url: string;
  event_types: string[];
  created_at: Date;
}

/** How many webhooks one user may have. */
export const maxWebhooksPerOwner = 25;

const columns = "id, owner_id, scope, url, event_types, created_at";

/** A sealed secret opens only for the webhook it was sealed for. */
const secretBinding = (webhookId: string) => `webhook:${webhookId}`;

export const openSecret = (kek: KeyEncryptionKey, webhookId: string, sealed: Uint8Array) =>
  open(kek, sealed, secretBinding(webhookId)).toString("utf8");

/**
 * Stores a new webhook with a fresh signing secret (32 random bytes, base64url), sealed.
 * Returns the secret: the only time it leaves the service.
 */
export async function insertWebhook(
  tx: Queryable,
  kek: KeyEncryptionKey,
  input: { ownerId: string; scope: WebhookScope; url: string; eventTypes: string[] },
): Promise<{ row: WebhookRow; secret: string }> {
  // One owner's creations take turns, so the limit holds under concurrent requests.
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('webhooks:' || $1))", [input.ownerId]);
  const [count] = await tx.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM webhooks WHERE owner_id = $1",
    [input.ownerId],
  );
  if ((count?.n ?? 0) >= maxWebhooksPerOwner)
    throw failedPrecondition(`at most ${maxWebhooksPerOwner} webhooks per user; delete one first`);
  const id = randomUUID();
  const secret = randomBytes(32).toString("base64url");
  const [row] = await tx.query<WebhookRow>(
    `INSERT INTO webhooks (id, owner_id, scope, url, event_types, secret_sealed)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${columns}`,
    [
      id,
      input.ownerId,
      input.scope,
      input.url,
      input.eventTypes,
      seal(kek, Buffer.from(secret), secretBinding(id)),
    ],
  );
  return { row: row!, secret };
}

export function listWebhooks(db: Queryable, ownerId: string): Promise<WebhookRow[]> {
  return db.query<WebhookRow>(`SELECT ${columns} FROM webhooks WHERE owner_id = $1 ORDER BY created_at, id`, [
    ownerId,
  ]);
}

export async function findWebhook(db: Queryable, id: string): Promise<WebhookRow | undefined> {
  const [row] = await db.query<WebhookRow>(`SELECT ${columns} FROM webhooks WHERE id = $1`, [id]);
  return row;
}

/** Deletes a webhook and its delivery log; false when it was already gone. */
export async function deleteWebhook(tx: Queryable, id: string): Promise<boolean> {
  return (await tx.query("DELETE FROM webhooks WHERE id = $1 RETURNING id", [id])).length > 0;
}

/** The webhook's state in events (`data.webhook`): never the secret. */
export const webhookState = (row: WebhookRow) => ({
  id: row.id,
  user_id: row.owner_id,
  url: row.url,
  event_types: row.event_types,
  scope: row.scope,
  created_at: row.created_at.toISOString(),
});

/** The webhook as the API shows it. */
export const webhookMessage = (row: WebhookRow) => ({
  id: row.id,
  url: row.url,
  eventTypes: row.event_types,
  createdAt: row.created_at.toISOString(),
});
