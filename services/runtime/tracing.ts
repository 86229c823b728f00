import {
  type Attributes,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";

const tracer = () => trace.getTracer("platform-runtime");

/**
 * Runs `work` inside a span that ends with it and records a thrown error. The runtime's
 * clients call this around every database, cache, broker and RPC operation, which keeps
 * traces complete in bundled services where module-patching auto-instrumentation cannot reach.
 */
export async function traced<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.CLIENT,
  /** A new trace (`root`) and its `links`, for a span that must not continue the active one. */
  options: Pick<SpanOptions, "root" | "links"> = {},
): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes, ...options }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
