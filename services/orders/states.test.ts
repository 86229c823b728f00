import { describe, expect, it } from "vitest";
import { ServiceError } from "../runtime/errors.js";
import { assertMove, canMove, enteredBy, isFinal, type OrderState, orderStates } from "./states.js";

const allowed: [OrderState, OrderState][] = [
  ["pending", "confirmed"],
  ["pending", "rejected"],
  ["confirmed", "cancelled"],
];

describe("order state machine", () => {
  it("allows exactly pending → confirmed | rejected and confirmed → cancelled", () => {
    const moves = orderStates.flatMap((from) =>
      orderStates.filter((to) => canMove(from, to)).map((to) => [from, to]),
    );
    expect(moves).toEqual(allowed);
  });

  it("refuses every other move with FAILED_PRECONDITION naming both states", () => {
    for (const from of orderStates)
      for (const to of orderStates) {
        if (allowed.some(([a, b]) => a === from && b === to)) {
          expect(() => assertMove(from, to)).not.toThrow();
          continue;
        }
        const err = (() => {
          try {
            assertMove(from, to);
          } catch (e) {
            return e;
          }
        })();
        expect(err).toBeInstanceOf(ServiceError);
        expect(err).toMatchObject({ kind: "failedPrecondition" });
        expect((err as Error).message).toContain(`is ${from} and cannot become ${to}`);
      }
  });

  it("says why a pending order cannot be cancelled yet", () => {
    expect(() => assertMove("pending", "cancelled")).toThrow(/not settled yet/);
  });

  it("treats rejected and cancelled as final", () => {
    expect(orderStates.filter(isFinal)).toEqual(["rejected", "cancelled"]);
  });

  it("names the event action of entering each state", () => {
    expect(orderStates.map((s) => `platform.orders.order.${enteredBy[s]}`)).toEqual([
      "platform.orders.order.placed",
      "platform.orders.order.confirmed",
      "platform.orders.order.rejected",
      "platform.orders.order.cancelled",
    ]);
  });
});
