import { describe, expect, it } from "vitest";
import { type CloudEvent, newEvent } from "../runtime/events.js";
import { audienceView, eventOwner, scopeOf } from "./audience.js";

const order = (userId: string) =>
  newEvent("orders", {
    entity: "order",
    entityId: "o-1",
    action: "confirmed",
    actor: "system",
    data: { order: { id: "o-1", userId, state: "confirmed" } },
  });
const user = { ownerId: "u-1", scope: "own" as const };
const admin = { ownerId: "u-admin", scope: "all" as const };
/** Whether the subscriber receives the event at all. */
const receives = (event: CloudEvent, subscriber: Parameters<typeof audienceView>[1]) =>
  audienceView(event, subscriber) !== undefined;

const stockReserved = newEvent("catalog", {
  entity: "product",
  entityId: "p-1",
  action: "stock-reserved",
  actor: "order:o-42",
  data: { product: { id: "p-1", stock: 7 }, orderId: "o-42" },
});

describe("who receives an event, and how much of it", () => {
  it("delivers a user's own order to their webhook, and not another user's", () => {
    expect(audienceView(order("u-1"), user)).toMatchObject({
      actor: "system",
      data: { order: { userId: "u-1" } },
    });
    expect(receives(order("u-2"), user)).toBe(false);
  });

  it("delivers everything to an admin's webhook, whole", () => {
    const event = order("u-2");
    expect(audienceView(event, admin)).toBe(event);
    expect(audienceView(stockReserved, admin)).toBe(stockReserved);
  });

  it("delivers the public view of product events to anyone: the product, not who changed it", () => {
    const updated = newEvent("catalog", {
      entity: "product",
      entityId: "p-1",
      action: "updated",
      actor: "u-admin",
      data: { product: { id: "p-1", price_minor: "1200" } },
    });
    const view = audienceView(updated, user)!;
    expect(view).not.toHaveProperty("actor");
    expect(view).toEqual({ ...updated, actor: undefined, data: updated.data });
    expect(JSON.stringify(view)).not.toContain("u-admin");
  });

  it("keeps another user's order id and the order as actor out of stock events", () => {
    const view = audienceView(stockReserved, user)!;
    expect(view.data).toEqual({ product: { id: "p-1", stock: 7 } });
    expect(JSON.stringify(view)).not.toContain("o-42");
    expect(view).toMatchObject({ id: stockReserved.id, type: "platform.catalog.product.stock-reserved" });
  });

  it("finds the owner in user_id, userId, or the user record itself", () => {
    const apikey = newEvent("identity", {
      entity: "apikey",
      entityId: "k-1",
      action: "created",
      actor: "u-1",
      data: { apikey: { id: "k-1", user_id: "u-3" } },
    });
    expect(eventOwner(apikey)).toBe("u-3");
    expect(eventOwner(order("u-4"))).toBe("u-4");
    const signUp = newEvent("identity", {
      entity: "user",
      entityId: "u-5",
      action: "created",
      actor: "u-5",
      data: { user: { id: "u-5", email: "x@example.com" } },
    });
    expect(eventOwner(signUp)).toBe("u-5");
    expect(receives(signUp, user)).toBe(false);
  });

  it("delivers a deletion (state null) to the user who caused it", () => {
    const deleted = newEvent("identity", {
      entity: "apikey",
      entityId: "k-1",
      action: "deleted",
      actor: "u-1",
      data: { apikey: null },
    });
    expect(eventOwner(deleted)).toBeUndefined();
    expect(audienceView(deleted, user)).toBe(deleted);
    expect(receives(deleted, { ownerId: "u-2", scope: "own" })).toBe(false);
  });

  it("gives admins' webhooks every event and users' their own", () => {
    expect(scopeOf(["user", "admin"])).toBe("all");
    expect(scopeOf(["user"])).toBe("own");
  });
});
