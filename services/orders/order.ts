import { OrderState as StateMessage } from "../gen/platform/orders/v1/orders_pb.js";
import type { OrderState } from "./states.js";

/** Money in minor units of an ISO 4217 currency: no float ever touches a price. */
export interface Money {
  readonly amountMinor: bigint;
  readonly currency: string;
}

export interface OrderLine {
  readonly productId: string;
  readonly quantity: number;
  /** The catalog's price when the stock was reserved; absent until the order is confirmed. */
  readonly unitPrice?: Money | undefined;
}

export interface Order {
  readonly id: string;
  readonly userId: string;
  readonly idempotencyKey: string;
  readonly state: OrderState;
  readonly lines: readonly OrderLine[];
  readonly total?: Money | undefined;
  /** Why it was rejected; empty otherwise. */
  readonly reason: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type Priced =
  | { readonly ok: true; readonly lines: OrderLine[]; readonly total: Money }
  | { readonly ok: false; readonly reason: string };

/**
 * Attaches the unit prices catalog reserved at (one per line, in order) and totals them in
 * minor units. An order is paid in one currency, so lines priced in several are refused.
 */
export function priceLines(lines: readonly OrderLine[], unitPrices: readonly Money[]): Priced {
  if (unitPrices.length !== lines.length)
    return { ok: false, reason: `catalog priced ${unitPrices.length} of the order's ${lines.length} lines` };
  const currencies = [...new Set(unitPrices.map((p) => p.currency))];
  if (currencies.length !== 1)
    return {
      ok: false,
      reason: `the products are priced in different currencies (${currencies.sort().join(", ")}); order them separately`,
    };
  const priced = lines.map((line, i) => ({ ...line, unitPrice: unitPrices[i]! }));
  const amountMinor = priced.reduce((sum, l) => sum + l.unitPrice.amountMinor * BigInt(l.quantity), 0n);
  return { ok: true, lines: priced, total: { amountMinor, currency: currencies[0]! } };
}

/** The same request again: the same lines, in the same order. */
export function sameLines(a: readonly OrderLine[], b: readonly OrderLine[]): boolean {
  return (
    a.length === b.length &&
    a.every((line, i) => line.productId === b[i]!.productId && line.quantity === b[i]!.quantity)
  );
}

const stateMessages: Record<OrderState, StateMessage> = {
  pending: StateMessage.PENDING,
  confirmed: StateMessage.CONFIRMED,
  rejected: StateMessage.REJECTED,
  cancelled: StateMessage.CANCELLED,
};

/** The order as the RPCs answer it. */
export function orderMessage(order: Order) {
  return {
    id: order.id,
    userId: order.userId,
    state: stateMessages[order.state],
    lines: order.lines.map((l) => ({ productId: l.productId, quantity: l.quantity, unitPrice: l.unitPrice })),
    total: order.total,
    reason: order.reason,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

/** Money in events: minor units as a decimal string, as protobuf JSON writes int64. */
const moneyData = (m: Money | undefined) =>
  m ? { amount_minor: m.amountMinor.toString(), currency: m.currency } : null;

/** The order as events carry it (`data.order`): its whole state after the change. */
export function orderData(order: Order) {
  return {
    id: order.id,
    user_id: order.userId,
    state: order.state,
    lines: order.lines.map((l) => ({
      product_id: l.productId,
      quantity: l.quantity,
      unit_price: moneyData(l.unitPrice),
    })),
    total: moneyData(order.total),
    reason: order.reason,
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
  };
}
