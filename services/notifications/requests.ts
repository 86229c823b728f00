import type { Principal } from "../gen/platform/common/v1/common_pb.js";
import type {
  CreateWebhookRequest,
  ListDeliveriesRequest,
} from "../gen/platform/notifications/v1/notifications_pb.js";
import { invalidArgument, permissionDenied, unauthenticated } from "../runtime/errors.js";
import { eventTypeLimits, eventTypeProblem } from "./event-types.js";

/**
 * Reading requests: each function checks its fields and throws INVALID_ARGUMENT with every
 * problem keyed by the public API's field name (a JSON pointer path below the body).
 */

const maxUrlLength = 2048;

export function requirePrincipal(principal: Principal | undefined): Principal {
  if (!principal?.userId) throw unauthenticated("this operation needs a signed-in principal");
  return principal;
}

/** The owner of a resource, or an admin, may act on it. */
export function requireOwnerOrAdmin(principal: Principal, ownerId: string, what: string): void {
  if (principal.userId !== ownerId && !principal.roles.includes("admin"))
    throw permissionDenied(`${what} belongs to another user`);
}

export function createWebhookInput(request: CreateWebhookRequest, relayedServices: readonly string[]) {
  const url = request.url.trim();
  const problems: Record<string, string> = {};
  if (url === "") problems["url"] = "required";
  else if (url.length > maxUrlLength) problems["url"] = `at most ${maxUrlLength} characters`;
  const types = request.eventTypes.map((t) => t.trim());
  if (types.length === 0) problems["eventTypes"] = "at least one event type";
  else if (types.length > eventTypeLimits.maxTypes)
    problems["eventTypes"] = `at most ${eventTypeLimits.maxTypes} event types`;
  else
    types.forEach((type, i) => {
      const problem = eventTypeProblem(type, relayedServices);
      if (problem) problems[`eventTypes/${i}`] = problem;
    });
  if (Object.keys(problems).length > 0)
    throw invalidArgument(`invalid webhook: ${Object.keys(problems).join(", ")}`, problems);
  return { url, eventTypes: [...new Set(types)] };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function webhookIdInput(id: string): string {
  if (!uuidPattern.test(id)) throw invalidArgument("not a webhook id", { id: "expected a UUID" });
  return id.toLowerCase();
}

/** Cursors are opaque to callers: the last listed delivery's position, base64url. */
export const deliveryCursor = (seq: string) => Buffer.from(`d:${seq}`).toString("base64url");

export function listDeliveriesInput(request: ListDeliveriesRequest) {
  // The public API names the webhook in its path as {id}.
  const webhookId = webhookIdInput(request.webhookId);
  const limit = request.page?.limit ?? 0;
  if (limit < 0 || limit > 100) throw invalidArgument("limit out of range", { limit: "1 to 100" });
  const cursor = request.page?.cursor ?? "";
  let before: bigint | undefined;
  if (cursor) {
    const match = /^d:(\d{1,19})$/.exec(Buffer.from(cursor, "base64url").toString());
    if (!match) throw invalidArgument("the cursor is not one this API returned", { cursor: "malformed" });
    before = BigInt(match[1]!);
  }
  return { webhookId, page: { before, limit: limit || 20 } };
}
