import type { Principal } from "../gen/platform/common/v1/common_pb.js";
import { permissionDenied, unauthenticated } from "../runtime/errors.js";

/** Who asks, as the audit's rules see it. */
export interface Reader {
  readonly userId: string;
  readonly admin: boolean;
}

/** The principal the gateway set; without one nothing of the trail is readable. */
export function reader(principal: Principal | undefined): Reader {
  if (!principal?.userId) throw unauthenticated("the audit trail is read by a signed-in principal");
  return { userId: principal.userId, admin: principal.roles.includes("admin") };
}

export function requireAdmin(who: Reader, what: string): void {
  if (!who.admin) throw permissionDenied(`only admins may ${what}`);
}

/**
 * Who may read an entity's history and state: admins; a user their own user entity; and
 * the owner of an entity that has one, i.e. whose state carries a `user_id` (orders,
 * sessions, API keys, webhooks). Entities without an owner (products) are for admins
 * only: their history names the admins who changed them and the orders that reserved them.
 * `owner` is looked up only when the first two rules do not already decide.
 */
export async function requireEntityReader(
  who: Reader,
  entity: { readonly entityType: string; readonly entityId: string },
  owner: () => Promise<string | undefined>,
): Promise<void> {
  if (who.admin) return;
  if (entity.entityType === "user" && entity.entityId === who.userId) return;
  if ((await owner()) === who.userId) return;
  throw permissionDenied(
    `only the owner of ${entity.entityType} ${entity.entityId} or an admin may read its history`,
  );
}

/** An actor's history: the actor themself or an admin. */
export function requireActorReader(who: Reader, actor: string): void {
  if (!who.admin && actor !== who.userId)
    throw permissionDenied("only admins may read another actor's history");
}
