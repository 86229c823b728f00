import type { CloudEvent } from "../runtime/events.js";

/**
 * Who may receive an event. A webhook created by an admin receives every event it matches.
 * A user's webhook receives only what that user may read through the API anyway: public
 * catalog data (products), and events about their own entities (an entity whose state
 * names them as `user_id`/`userId`, their own user record) or that they caused (`actor`).
 * Without this, any signed-up user could subscribe to `platform.*` and receive every
 * customer's orders and e-mail address.
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

export function mayReceive(event: CloudEvent, subscriber: { ownerId: string; scope: WebhookScope }): boolean {
  if (subscriber.scope === "all") return true;
  if (publicEntities.has(event.entitytype)) return true;
  return eventOwner(event) === subscriber.ownerId || event.actor === subscriber.ownerId;
}

/** The scope a new webhook gets from its creator's roles; it is fixed at creation. */
export const scopeOf = (roles: readonly string[]): WebhookScope => (roles.includes("admin") ? "all" : "own");
