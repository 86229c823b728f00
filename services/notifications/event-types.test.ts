import { describe, expect, it } from "vitest";
import { eventTypePattern, eventTypeProblem, matchesEventType, patternsMatching } from "./event-types.js";

const relayed = ["identity", "catalog", "orders"];

describe("subscription patterns", () => {
  it.each([
    "platform.orders.order.confirmed",
    "platform.catalog.product.stock-reserved",
    "platform.orders.order.*",
    "platform.orders.*",
    "platform.*",
  ])("accepts %s", (pattern) => {
    expect(eventTypeProblem(pattern, relayed)).toBeUndefined();
  });

  it.each([
    ["", /CloudEvent type/],
    ["*", /CloudEvent type/],
    ["orders.order.confirmed", /CloudEvent type/],
    ["platform.orders.order", /CloudEvent type/],
    ["platform.orders.order.confirmed.extra", /CloudEvent type/],
    ["platform.orders.*.confirmed", /CloudEvent type/],
    ["platform.orders.order*", /CloudEvent type/],
    ["platform.orders.order.confirmed.*", /CloudEvent type/],
    ["Platform.Orders.Order.Confirmed", /CloudEvent type/],
    ["platform.orders..confirmed", /CloudEvent type/],
    ["platform.audit.event.appended", /relays events of identity, catalog, orders only/],
    ["platform.notifications.*", /relays events of identity, catalog, orders only/],
    [`platform.orders.order.${"x".repeat(100)}`, /at most 100 characters/],
  ])("refuses %j", (pattern, reason) => {
    expect(eventTypeProblem(pattern, relayed)).toMatch(reason);
  });
});

describe("matching an event type", () => {
  it("lists the type and every wildcard above it", () => {
    expect(patternsMatching("platform.orders.order.confirmed")).toEqual([
      "platform.orders.order.confirmed",
      "platform.*",
      "platform.orders.*",
      "platform.orders.order.*",
    ]);
  });

  it.each([
    ["platform.orders.order.confirmed", "platform.orders.order.confirmed", true],
    ["platform.orders.order.*", "platform.orders.order.confirmed", true],
    ["platform.orders.*", "platform.orders.order.confirmed", true],
    ["platform.*", "platform.identity.user.created", true],
    ["platform.orders.order.cancelled", "platform.orders.order.confirmed", false],
    ["platform.orders.*", "platform.ordersx.order.confirmed", false],
    ["platform.order.*", "platform.orders.order.confirmed", false],
    ["platform.catalog.*", "platform.orders.order.confirmed", false],
  ])("%s matches %s: %s", (pattern, type, expected) => {
    expect(matchesEventType(pattern, type)).toBe(expected);
  });
});

describe("the event-type pattern the public API's schema states", () => {
  it("accepts exactly the forms the service takes", () => {
    const pattern = new RegExp(eventTypePattern);
    const formProblem = eventTypeProblem("x", ["orders"]);
    const samples = [
      "platform.orders.order.confirmed",
      "platform.orders.order.*",
      "platform.orders.*",
      "platform.*",
      "platform.orders.order",
      "platform.orders.order.confirmed.*",
      "platform.Orders.order.confirmed",
      "platform..order.confirmed",
      "orders.order.confirmed",
      "platform.orders.order-line.stock-reserved",
    ];
    for (const type of samples)
      expect([type, pattern.test(type)]).toEqual([type, eventTypeProblem(type, ["orders"]) !== formProblem]);
  });
});
