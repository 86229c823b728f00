import type { Principal } from "../gen/platform/common/v1/common_pb.js";
import type {
  CancelOrderRequest,
  GetOrderRequest,
  PlaceOrderRequest,
} from "../gen/platform/orders/v1/orders_pb.js";
import { invalidArgument, permissionDenied, unauthenticated } from "../runtime/errors.js";
import type { Order, OrderLine } from "./order.js";

/** Idempotency keys: 1 to 200 printable ASCII characters (a JSON Schema pattern too). */
export const idempotencyKeyPattern = "^[\\x20-\\x7E]{1,200}$";

/** What an order may hold; the gateway's OpenAPI document reads the same bounds. */
export const orderLimits = {
  minLines: 1,
  maxLines: 100,
  minQuantity: 1,
  maxQuantity: 1000,
  idempotencyKey: new RegExp(idempotencyKeyPattern),
} as const;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller, as the gateway vouches for it; an order always belongs to someone. */
export function requirePrincipal(principal: Principal | undefined): Principal {
  if (!principal?.userId) throw unauthenticated("orders need a signed-in principal");
  return principal;
}

/** Only the order's owner or an admin sees or changes it. */
export function requireOwnerOrAdmin(
  principal: Pick<Principal, "userId" | "roles">,
  order: Pick<Order, "id" | "userId">,
): void {
  if (order.userId !== principal.userId && !principal.roles.includes("admin"))
    throw permissionDenied(`order ${order.id} belongs to another user`);
}

/**
 * Checks every field and refuses with one INVALID_ARGUMENT naming each bad one, keyed by the
 * public API's names: the gateway turns `lines/0/quantity` into the JSON pointer
 * `/lines/0/quantity` and `Idempotency-Key` into its header parameter.
 */
export function placeOrderInput(request: PlaceOrderRequest) {
  const principal = requirePrincipal(request.principal);
  const { minLines, maxLines, minQuantity, maxQuantity } = orderLimits;
  const problems: Record<string, string> = {};
  if (!orderLimits.idempotencyKey.test(request.idempotencyKey))
    problems["Idempotency-Key"] = "1 to 200 printable ASCII characters";
  if (request.lines.length < minLines || request.lines.length > maxLines)
    problems["lines"] = `${minLines} to ${maxLines} lines`;
  request.lines.slice(0, maxLines).forEach((line, i) => {
    if (!uuid.test(line.productId)) problems[`lines/${i}/productId`] = "not a UUID";
    if (!Number.isInteger(line.quantity) || line.quantity < minQuantity || line.quantity > maxQuantity)
      problems[`lines/${i}/quantity`] = `a whole number from ${minQuantity} to ${maxQuantity}`;
  });
  const fields = Object.keys(problems);
  if (fields.length > 0) throw invalidArgument(`invalid order: ${fields.join(", ")}`, problems);
  const lines: OrderLine[] = request.lines.map((l) => ({
    productId: l.productId.toLowerCase(),
    quantity: l.quantity,
  }));
  return { principal, idempotencyKey: request.idempotencyKey, lines };
}

/** GetOrder and CancelOrder: who asks, about which order. */
export function orderRefInput(request: GetOrderRequest | CancelOrderRequest) {
  const principal = requirePrincipal(request.principal);
  if (!uuid.test(request.id))
    throw invalidArgument("invalid order reference: id", { id: "not an order id (a UUID)" });
  return { principal, id: request.id.toLowerCase() };
}
