import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { GetOrderRequestSchema, PlaceOrderRequestSchema } from "../gen/platform/orders/v1/orders_pb.js";
import { ServiceError } from "../runtime/errors.js";
import { orderRefInput, placeOrderInput, requireOwnerOrAdmin } from "./requests.js";

const user = { userId: "u-1", roles: ["user"], method: "jwt" };
const productId = "0B1E0000-0000-4000-8000-000000000001";
const place = (over: Record<string, unknown> = {}) =>
  create(PlaceOrderRequestSchema, {
    principal: user,
    idempotencyKey: "order-2025-0001",
    lines: [{ productId, quantity: 2 }],
    ...over,
  });

function refusal(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ServiceError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("PlaceOrder request", () => {
  it("accepts a valid order and normalises product ids", () => {
    expect(placeOrderInput(place())).toMatchObject({
      idempotencyKey: "order-2025-0001",
      lines: [{ productId: productId.toLowerCase(), quantity: 2 }],
    });
  });

  it("needs a principal", () => {
    expect(refusal(() => placeOrderInput(place({ principal: undefined }))).kind).toBe("unauthenticated");
  });

  it("names every bad field at once, by the public API's names", () => {
    const err = refusal(() =>
      placeOrderInput(
        place({
          idempotencyKey: "",
          lines: [
            { productId: "not-a-uuid", quantity: 1 },
            { productId, quantity: 0 },
            { productId, quantity: 1001 },
          ],
        }),
      ),
    );
    expect(err.kind).toBe("invalidArgument");
    expect(err.details).toEqual({
      "Idempotency-Key": "1 to 200 printable ASCII characters",
      "lines/0/productId": "not a UUID",
      "lines/1/quantity": "a whole number from 1 to 1000",
      "lines/2/quantity": "a whole number from 1 to 1000",
    });
  });

  it("bounds the number of lines to 1..100", () => {
    expect(refusal(() => placeOrderInput(place({ lines: [] }))).details).toEqual({ lines: "1 to 100 lines" });
    const many = Array.from({ length: 101 }, () => ({ productId, quantity: 1 }));
    expect(refusal(() => placeOrderInput(place({ lines: many }))).details).toEqual({
      lines: "1 to 100 lines",
    });
    expect(placeOrderInput(place({ lines: many.slice(1) })).lines).toHaveLength(100);
  });

  it("bounds idempotency keys to 1..200 printable characters", () => {
    expect(placeOrderInput(place({ idempotencyKey: "k" })).idempotencyKey).toBe("k");
    expect(placeOrderInput(place({ idempotencyKey: "x".repeat(200) })).idempotencyKey).toHaveLength(200);
    for (const idempotencyKey of ["x".repeat(201), "tab\there", "naïve"])
      expect(refusal(() => placeOrderInput(place({ idempotencyKey }))).details).toHaveProperty(
        "Idempotency-Key",
      );
  });
});

describe("order references and access", () => {
  it("refuses an id that is not a UUID", () => {
    const err = refusal(() => orderRefInput(create(GetOrderRequestSchema, { principal: user, id: "42" })));
    expect([err.kind, err.details]).toEqual(["invalidArgument", { id: "not an order id (a UUID)" }]);
  });

  it("lets the owner and admins in, and nobody else", () => {
    const order = { id: "o-1", userId: "u-1" };
    expect(() => requireOwnerOrAdmin(user, order)).not.toThrow();
    expect(() =>
      requireOwnerOrAdmin({ ...user, userId: "u-9", roles: ["user", "admin"] }, order),
    ).not.toThrow();
    expect(refusal(() => requireOwnerOrAdmin({ ...user, userId: "u-2" }, order)).kind).toBe(
      "permissionDenied",
    );
  });
});
