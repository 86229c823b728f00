import type { CloudEvent } from "../runtime/events.js";

/**
 * Who may receive an event, and how much of it. A webhook created by an admin receives
 * every event it matches, whole. A user's webhook receives only what that user may read
 * through the API anyway: events about their own entities (an entity whose state names
 * them as `user_id`/`userId`, their own user record) or that they caused (`actor`), and
 * the public view of public catalog data (products). Without this, any signed-up user
 * could subscribe to `platform.*` and receive every customer's orders and e-mail address,
 * or learn from stock events which orders were placed and by which admin a price changed.
 */
export type WebhookScope = "all" | "own";

/** Entity types anyone may read (GET /v1/products is public). */
const publicEntities = new Set(["product"]);

/** The user an event's entity belongs to, when its state says so. */
export function eventOwner(event: CloudEvent): string | undefined {
  if (event.entitytype === "user") return event.entityid;
  const data = event.data as Record<string, unknown> | null | undefined;
  const state = data?.[event.entitytype] as Record<string, unknown> | null | undefined;
  const owner = state?.["user_id"] ?? state?.["userId"];
  return typeof owner === "string" && owner !== "" ? owner : undefined;
}

/** An event as a webhook receives it: whole, or its public view, which has no `actor`. */
export type DeliveredEvent = Omit<CloudEvent, "actor"> & { readonly actor?: string };

/**
 * The public view of an event about a public entity: the envelope and the entity's state,
 * what `GET /v1/products/{id}` shows anyway. Not who caused it (`actor` is an admin's user
 * id, or `order:<id>` for stock reserved by someone's order) nor anything else in `data`
 * (the `orderId` of a stock event): those belong to other users.
 */
export function publicView(event: CloudEvent): DeliveredEvent {
  const { actor: _actor, data, ...envelope } = event;
  const state = (data as Record<string, unknown> | null | undefined)?.[event.entitytype] ?? null;
  return { ...envelope, data: { [event.entitytype]: state } };
}

/**
 * What a subscriber receives of an event: all of it (an admin's webhook, or an event about
 * the subscriber or caused by them), the public view of a public entity's event, or
 * nothing (undefined).
 */
export function audienceView(
  event: CloudEvent,
  subscriber: { ownerId: string; scope: WebhookScope },
): DeliveredEvent | undefined {
  if (subscriber.scope === "all") return event;
  if (eventOwner(event) === subscriber.ownerId || event.actor === subscriber.ownerId) return event;
  return publicEntities.has(event.entitytype) ? publicView(event) : undefined;
}

/** The scope a new webhook gets from its creator's roles; it is fixed at creation. */
export const scopeOf = (roles: readonly string[]): WebhookScope => (roles.includes("admin") ? "all" : "own");
