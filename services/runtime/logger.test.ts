import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { traceFields } from "./logger.js";

describe("traceFields", () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => context.disable());

  const inSpan = (traceId: string, spanId: string) =>
    context.with(
      trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ traceId, spanId, traceFlags: 1 })),
      traceFields,
    );

  it("gives a log line the active span's trace and span ids", () => {
    expect(inSpan("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")).toEqual({
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      span_id: "00f067aa0ba902b7",
    });
  });

  it("adds nothing for the all-zero span of a process without a telemetry SDK, nor outside a span", () => {
    expect(inSpan("0".repeat(32), "0".repeat(16))).toEqual({});
    expect(traceFields()).toEqual({});
  });
});
