import type { IncomingHttpHeaders } from "node:http";
import {
  defaultTextMapGetter,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type SpanContext,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

// The public API speaks W3C Trace Context whatever propagators the process has registered.
const w3c = new W3CTraceContextPropagator();

/** The `traceresponse` header (W3C Trace Context Level 2): which trace the gateway filed a request under. */
export const traceResponseHeader = "traceresponse";

/**
 * How the server span of an external request starts: a new trace (`root`), never the client's,
 * so a client cannot choose the trace id its request's events are audited under, nor join
 * its request to someone else's trace. A valid client `traceparent` (with its `tracestate`)
 * is kept as a link, so the client's trace still leads to the gateway's.
 */
export function externalTrace(headers: IncomingHttpHeaders): { root: true; links: Link[] } {
  const client = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
  return { root: true, links: client && isSpanContextValid(client) ? [{ context: client }] : [] };
}

/**
 * The `traceresponse` value naming a span, `00-<trace-id>-<span-id>-<flags>`; undefined when
 * the span is not recorded (no tracer provider): there is no trace to name then.
 */
export function traceResponse(span: SpanContext): string | undefined {
  if (!isSpanContextValid(span)) return undefined;
  const sampled = (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  return `00-${span.traceId}-${span.spanId}-${sampled ? "01" : "00"}`;
}
