import { describe, expect, it } from "vitest";
import { UnprocessableEventError } from "../runtime/consumer.js";
import type { CloudEvent } from "../runtime/events.js";
import { eventRecord, parseTraceId } from "./record.js";

const trace = "4bf92f3577b34da6a3ce929d0e0e4736";

describe("the trace id of a traceparent", () => {
  it("reads a version-00 traceparent", () => {
    expect(parseTraceId(`00-${trace}-00f067aa0ba902b7-01`)).toBe(trace);
  });

  it("accepts extra fields from a later version", () => {
    expect(parseTraceId(`01-${trace}-00f067aa0ba902b7-01-later`)).toBe(trace);
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["version ff", `ff-${trace}-00f067aa0ba902b7-01`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-00f067aa0ba902b7-01`],
    ["an all-zero parent id", `00-${trace}-${"0".repeat(16)}-01`],
    ["upper-case hex", `00-${trace.toUpperCase()}-00f067aa0ba902b7-01`],
    ["a short trace id", `00-${trace.slice(1)}-00f067aa0ba902b7-01`],
    ["a fifth field on version 00", `00-${trace}-00f067aa0ba902b7-01-x`],
    ["no flags", `00-${trace}-00f067aa0ba902b7`],
  ])("gives null for %s", (_case, traceparent) => {
    expect(parseTraceId(traceparent)).toBeNull();
  });
});

const event: CloudEvent = {
  specversion: "1.0",
  id: "e-1",
  source: "/platform/orders",
  type: "platform.orders.order.placed",
  subject: "order/o-1",
  time: "2025-01-02T03:04:05.123456789+02:00",
  datacontenttype: "application/json",
  traceparent: `00-${trace}-00f067aa0ba902b7-01`,
  actor: "u-1",
  entitytype: "order",
  entityid: "o-1",
  data: { order: { id: "o-1", user_id: "u-1" } },
};

describe("the stored fields of an event", () => {
  it("takes the entity, actor and trace from the CloudEvent's extensions", () => {
    expect(eventRecord(event)).toEqual({
      eventId: "e-1",
      type: "platform.orders.order.placed",
      source: "/platform/orders",
      subject: "order/o-1",
      entityType: "order",
      entityId: "o-1",
      actor: "u-1",
      traceId: trace,
      time: "2025-01-02T03:04:05.123456789+02:00",
      data: { order: { id: "o-1", user_id: "u-1" } },
    });
  });

  it("stores a missing actor, trace or data as null", () => {
    const bare = { ...event, actor: "", traceparent: undefined, data: undefined };
    expect(eventRecord(bare)).toMatchObject({ actor: null, traceId: null, data: null });
  });

  it("sends an event whose time is not RFC 3339 to the dead-letter topic (no retry can help)", () => {
    const record = () => eventRecord({ ...event, time: "yesterday" });
    expect(record).toThrow(UnprocessableEventError);
    expect(record).toThrow(/time "yesterday" is not RFC 3339/);
  });
});
