import { describe, expect, it } from "vitest";
import { OrderState } from "../gen/platform/orders/v1/orders_pb.js";
import { type Order, orderData, orderMessage, priceLines, sameLines } from "./order.js";

const a = "0b1e0000-0000-4000-8000-000000000001";
const b = "0b1e0000-0000-4000-8000-000000000002";
const eur = (amountMinor: bigint) => ({ amountMinor, currency: "EUR" });

describe("pricing an order", () => {
  it("totals unit price times quantity in minor units", () => {
    const priced = priceLines(
      [
        { productId: a, quantity: 3 },
        { productId: b, quantity: 1 },
      ],
      [eur(1999n), eur(5n)],
    );
    expect(priced).toEqual({
      ok: true,
      lines: [
        { productId: a, quantity: 3, unitPrice: eur(1999n) },
        { productId: b, quantity: 1, unitPrice: eur(5n) },
      ],
      total: eur(6002n),
    });
  });

  it("stays exact past the largest integer a float holds", () => {
    const priced = priceLines(
      [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 1 },
      ],
      [eur(BigInt(Number.MAX_SAFE_INTEGER)), eur(2n)],
    );
    expect(priced.ok && priced.total.amountMinor).toBe(9_007_199_254_740_993n);
  });

  it("refuses lines priced in several currencies", () => {
    const priced = priceLines(
      [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 1 },
      ],
      [eur(100n), { amountMinor: 100n, currency: "USD" }],
    );
    expect(priced).toEqual({
      ok: false,
      reason: "the products are priced in different currencies (EUR, USD); order them separately",
    });
  });

  it("refuses a price list that does not match the lines", () => {
    expect(priceLines([{ productId: a, quantity: 1 }], []).ok).toBe(false);
  });
});

describe("recognising a repeated request", () => {
  it("matches the same lines in the same order only", () => {
    const lines = [
      { productId: a, quantity: 1 },
      { productId: b, quantity: 2 },
    ];
    expect(
      sameLines(
        lines,
        lines.map((l) => ({ ...l })),
      ),
    ).toBe(true);
    expect(sameLines(lines, [lines[0]!, { productId: b, quantity: 3 }])).toBe(false);
    expect(sameLines(lines, [lines[0]!])).toBe(false);
  });
});

describe("representations", () => {
  const order: Order = {
    id: "c0ffee00-0000-4000-8000-000000000000",
    userId: "u-1",
    idempotencyKey: "k-1",
    state: "confirmed",
    lines: [{ productId: a, quantity: 2, unitPrice: eur(1250n) }],
    total: eur(2500n),
    reason: "",
    createdAt: new Date("2025-01-01T00:00:00Z"),
    updatedAt: new Date("2025-01-01T00:00:01Z"),
  };

  it("carries the full order in events, money as decimal minor units", () => {
    expect(orderData(order)).toEqual({
      id: order.id,
      user_id: "u-1",
      state: "confirmed",
      lines: [{ product_id: a, quantity: 2, unit_price: { amount_minor: "1250", currency: "EUR" } }],
      total: { amount_minor: "2500", currency: "EUR" },
      reason: "",
      created_at: "2025-01-01T00:00:00.000Z",
      updated_at: "2025-01-01T00:00:01.000Z",
    });
  });

  it("writes no price for a line not yet priced", () => {
    const pending = {
      ...order,
      state: "pending" as const,
      lines: [{ productId: a, quantity: 2 }],
      total: undefined,
    };
    expect(orderData(pending)).toMatchObject({ lines: [{ unit_price: null }], total: null });
    expect(orderMessage(pending)).toMatchObject({ state: OrderState.PENDING, total: undefined });
  });
});
