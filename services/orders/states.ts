import { failedPrecondition } from "../runtime/errors.js";

/**
 * An order's life: placed as pending while its stock is reserved, then confirmed or
 * rejected; a confirmed order can be cancelled. Nothing else moves.
 *
 *   pending ──> confirmed ──> cancelled
 *      └──────> rejected
 */
export const orderStates = ["pending", "confirmed", "rejected", "cancelled"] as const;
export type OrderState = (typeof orderStates)[number];

/** Each state's successors, and why a state admits no other (the caller reads it). */
const transitions: Record<OrderState, { readonly to: readonly OrderState[]; readonly why: string }> = {
  pending: {
    to: ["confirmed", "rejected"],
    why: "its stock reservation is not settled yet; read it again shortly",
  },
  confirmed: { to: ["cancelled"], why: "a confirmed order can only be cancelled" },
  rejected: { to: [], why: "a rejected order is final: it holds no stock, place a new order" },
  cancelled: { to: [], why: "a cancelled order is final" },
};

/** The event action announcing that an order entered `state`: `platform.orders.order.<action>`. */
export const enteredBy: Record<OrderState, string> = {
  pending: "placed",
  confirmed: "confirmed",
  rejected: "rejected",
  cancelled: "cancelled",
};

export function canMove(from: OrderState, to: OrderState): boolean {
  return transitions[from].to.includes(to);
}

/** The states an order may be in to move to `to`. */
export const predecessorsOf = (to: OrderState): OrderState[] =>
  orderStates.filter((from) => canMove(from, to));

/** Refuses a move the table does not allow, with FAILED_PRECONDITION naming both states and why. */
export function assertMove(from: OrderState, to: OrderState): void {
  if (!canMove(from, to))
    throw failedPrecondition(`the order is ${from} and cannot become ${to}: ${transitions[from].why}`);
}

/** Whether no further transition can happen. */
export const isFinal = (state: OrderState) => transitions[state].to.length === 0;
