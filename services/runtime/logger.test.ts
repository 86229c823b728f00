import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import type { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggerTo, traceFields } from "./logger.js";

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

describe("a service logger's lines", () => {
  const linesOf = (write: (logger: pino.Logger) => void) => {
    const lines: Record<string, unknown>[] = [];
    const logger = loggerTo("test", {}, { write: (line: string) => lines.push(JSON.parse(line)) });
    write(logger);
    return lines;
  };

  it("carry no secret, in the logged object, nested one level, in an error or in a child's bindings", () => {
    const [line, child] = linesOf((logger) => {
      logger.info(
        {
          password: "hunter2",
          user: { id: "u1", token: "t" },
          err: Object.assign(new Error("x"), { secret: "s" }),
        },
        "signed in",
      );
      logger.child({ authorization: "Bearer abc" }).child({ token: "t" }).warn({ status: 401 }, "refused");
    });
    expect(line).toMatchObject({
      password: "[redacted]",
      user: { id: "u1", token: "[redacted]" },
      msg: "signed in",
    });
    expect(line!["err"]).toMatchObject({ message: "x", secret: "[redacted]" });
    expect(child).toMatchObject({
      authorization: "[redacted]",
      token: "[redacted]",
      status: 401,
      service: "test",
      level: "warn",
    });
    expect(JSON.stringify([line, child])).not.toMatch(/hunter2|"t"|"s"|abc/);
  });

  it("keep every other field as it was logged", () => {
    const [line] = linesOf((logger) =>
      logger.info({ requestId: "r1", status: 200, durationMs: 1.5 }, "request"),
    );
    expect(line).toMatchObject({
      requestId: "r1",
      status: 200,
      durationMs: 1.5,
      msg: "request",
      service: "test",
    });
  });
});
