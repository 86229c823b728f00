import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { type ReadableSpan, type SpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Logger } from "../runtime/logger.js";
import type { RequestMetrics } from "../runtime/metrics.js";
import type { OpenApiDocument } from "./openapi.js";
import { createPipeline, type PipelineParts } from "./pipeline.js";
import { Router } from "./router.js";
import { externalTrace, traceResponse } from "./trace-context.js";

/**
 * The gateway's pipeline with a real tracer (ended spans kept in memory) behind a real HTTP server,
 * serving one built-in endpoint that records the trace context an upstream call would carry.
 */
const ended: ReadableSpan[] = [];
const keepEnded: SpanProcessor = {
  onStart() {},
  onEnd: (span) => void ended.push(span),
  forceFlush: async () => {},
  shutdown: async () => {},
};
const propagated: Record<string, string>[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [keepEnded] }));
  const quiet = { info() {}, warn() {}, error() {} } as unknown as Logger;
  const handle = createPipeline({
    router: new Router({ paths: {} } as unknown as OpenApiDocument, { "/probe": { GET: "probe" } }),
    routes: {},
    operations: new Map(),
    validators: new Map(),
    builtIns: {
      probe: () => {
        // What the RPC client injects into an upstream call's metadata (runtime/rpc/client.ts).
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        propagated.push(carrier);
        return { status: 200, body: { ok: true } };
      },
    },
    metrics: { begin: () => () => {} } as unknown as RequestMetrics,
    logger: quiet,
    bodyLimitBytes: 1024,
    trustedProxyHops: 0,
    draining: () => false,
  } as unknown as PipelineParts);
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  trace.disable();
  propagation.disable();
  context.disable();
});

beforeEach(() => {
  ended.length = 0;
  propagated.length = 0;
});

const clientTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const clientSpanId = "00f067aa0ba902b7";

async function probe(headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/probe`, { headers });
  await response.text();
  // The span ends just after the answer is sent.
  const span = await vi.waitFor(() => {
    const [finished] = ended;
    if (!finished) throw new Error("the request's span has not ended yet");
    return finished;
  });
  return { response, span };
}

describe("the trace of an external request", () => {
  it("is a new trace, not the one the client's traceparent names, with a link to the client's span", async () => {
    const { span } = await probe({
      traceparent: `00-${clientTraceId}-${clientSpanId}-01`,
      tracestate: "vendor=client",
    });
    expect(span.spanContext().traceId).not.toBe(clientTraceId);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.links).toHaveLength(1);
    expect(span.links[0]!.context).toMatchObject({
      traceId: clientTraceId,
      spanId: clientSpanId,
      traceFlags: 1,
      isRemote: true,
    });
    expect(span.links[0]!.context.traceState?.get("vendor")).toBe("client");
  });

  it("is named to the client in traceresponse: the gateway's trace and server span", async () => {
    const { response, span } = await probe({ traceparent: `00-${clientTraceId}-${clientSpanId}-01` });
    const { traceId, spanId } = span.spanContext();
    expect(response.headers.get("traceresponse")).toBe(`00-${traceId}-${spanId}-01`);
  });

  it("is what upstream calls continue: they carry the gateway's trace, not the client's", async () => {
    const { span } = await probe({ traceparent: `00-${clientTraceId}-${clientSpanId}-01` });
    const { traceId, spanId } = span.spanContext();
    expect(propagated).toEqual([{ traceparent: `00-${traceId}-${spanId}-01` }]);
  });

  it("cannot be turned off by the client: a traceparent that is not sampled still starts a sampled trace", async () => {
    const { response, span } = await probe({ traceparent: `00-${clientTraceId}-${clientSpanId}-00` });
    expect(span.spanContext().traceFlags).toBe(1);
    expect(response.headers.get("traceresponse")).toMatch(/-01$/);
  });

  it.each([
    ["no traceparent", {}],
    ["a malformed one", { traceparent: "00-not-a-trace-01" }],
    ["the all-zero trace id", { traceparent: `00-${"0".repeat(32)}-${clientSpanId}-01` }],
  ])("has no link when the request carries %s", async (_case, headers: Record<string, string>) => {
    const { response, span } = await probe(headers);
    expect(span.links).toEqual([]);
    expect(response.headers.get("traceresponse")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

describe("traceresponse and the link, as values", () => {
  it("names no trace for a span that is not recorded", () => {
    expect(
      traceResponse(
        trace
          .wrapSpanContext({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 })
          .spanContext(),
      ),
    ).toBeUndefined();
  });

  it("starts a root even without a client traceparent", () => {
    expect(externalTrace({})).toEqual({ root: true, links: [] });
  });
});
