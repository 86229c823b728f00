import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CreateWebhookRequestSchema,
  ListDeliveriesRequestSchema,
} from "../gen/platform/notifications/v1/notifications_pb.js";
import { ServiceError } from "../runtime/errors.js";
import { createWebhookInput, deliveryCursor, listDeliveriesInput, requireOwnerOrAdmin } from "./requests.js";

const relayed = ["identity", "catalog", "orders"];
const webhookId = "0b6c0d7e-8a1b-4c55-9e2f-3d4a5b6c7d8e";

function details(work: () => unknown): Record<string, string> {
  try {
    work();
  } catch (err) {
    if (err instanceof ServiceError && err.kind === "invalidArgument") return { ...err.details };
    throw err;
  }
  throw new Error("no INVALID_ARGUMENT");
}

describe("reading CreateWebhook", () => {
  const request = (url: string, eventTypes: string[]) =>
    create(CreateWebhookRequestSchema, { url, eventTypes });

  it("trims, and drops repeated event types", () => {
    expect(
      createWebhookInput(
        request(" https://x.example/h ", ["platform.orders.*", " platform.orders.* "]),
        relayed,
      ),
    ).toEqual({ url: "https://x.example/h", eventTypes: ["platform.orders.*"] });
  });

  it("names every problem at once, event types by index", () => {
    expect(details(() => createWebhookInput(request("", ["platform.orders.*", "nope"]), relayed))).toEqual({
      url: "required",
      "eventTypes/1": expect.stringMatching(/CloudEvent type/),
    });
    expect(
      details(() => createWebhookInput(request(`https://x.example/${"a".repeat(2048)}`, []), relayed)),
    ).toEqual({ url: "at most 2048 characters", eventTypes: "at least one event type" });
    const many = Array.from({ length: 51 }, (_, i) => `platform.orders.order.a${i}`);
    expect(details(() => createWebhookInput(request("https://x.example/", many), relayed))).toEqual({
      eventTypes: "at most 50 event types",
    });
  });
});

describe("reading ListDeliveries", () => {
  const request = (id: string, cursor = "", limit = 0) =>
    create(ListDeliveriesRequestSchema, { webhookId: id, page: { cursor, limit } });

  it("defaults the page size and reads back its own cursor", () => {
    expect(listDeliveriesInput(request(webhookId))).toEqual({
      webhookId,
      page: { before: undefined, limit: 20 },
    });
    expect(listDeliveriesInput(request(webhookId, deliveryCursor("42"), 5)).page).toEqual({
      before: 42n,
      limit: 5,
    });
  });

  it("refuses a malformed id (as the path's {id}), a foreign cursor and an out-of-range limit", () => {
    expect(details(() => listDeliveriesInput(request("42")))).toEqual({ id: "expected a UUID" });
    expect(details(() => listDeliveriesInput(request(webhookId, "bm9wZQ")))).toEqual({ cursor: "malformed" });
    expect(details(() => listDeliveriesInput(request(webhookId, "", 101)))).toEqual({ limit: "1 to 100" });
  });
});

describe("ownership", () => {
  it("lets the owner and admins act, and denies others", () => {
    const principal = (userId: string, roles = ["user"]) => ({ userId, roles }) as never;
    expect(() => requireOwnerOrAdmin(principal("u-1"), "u-1", "webhook w")).not.toThrow();
    expect(() => requireOwnerOrAdmin(principal("u-9", ["user", "admin"]), "u-1", "webhook w")).not.toThrow();
    expect(() => requireOwnerOrAdmin(principal("u-2"), "u-1", "webhook w")).toThrow(
      /belongs to another user/,
    );
  });
});
