import { describe, expect, it } from "vitest";
import { newEvent } from "../runtime/events.js";
import { eventOwner, mayReceive, scopeOf } from "./audience.js";

const order = (userId: string) =>
  newEvent("orders", {
    entity: "order",
    entityId: "o-1",
    action: "confirmed",
    actor: "system",
    data: { order: { id: "o-1", userId, state: "confirmed" } },
  });
const user = { ownerId: "u-1", scope: "own" as const };

describe("who receives an event", () => {
  it("delivers a user's own order to their webhook, and not another user's", () => {
    expect(mayReceive(order("u-1"), user)).toBe(true);
    expect(mayReceive(order("u-2"), user)).toBe(false);
  });

  it("delivers everything to an admin's webhook", () => {
    expect(mayReceive(order("u-2"), { ownerId: "u-admin", scope: "all" })).toBe(true);
  });

  it("delivers public product events to anyone", () => {
    const product = newEvent("catalog", {
      entity: "product",
      entityId: "p-1",
      action: "updated",
      actor: "u-admin",
      data: { product: { id: "p-1" } },
    });
    expect(mayReceive(product, user)).toBe(true);
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
    expect(mayReceive(signUp, user)).toBe(false);
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
    expect(mayReceive(deleted, user)).toBe(true);
    expect(mayReceive(deleted, { ownerId: "u-2", scope: "own" })).toBe(false);
  });

  it("gives admins' webhooks every event and users' their own", () => {
    expect(scopeOf(["user", "admin"])).toBe("all");
    expect(scopeOf(["user"])).toBe("own");
  });
});
