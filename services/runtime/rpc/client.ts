import http2 from "node:http2";
import type { DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { context, propagation } from "@opentelemetry/api";
import { traced } from "../tracing.js";
import type { CallCredentials } from "./caller-identity.js";
import { codec, methodPath } from "./descriptors.js";
import { decodeGrpcMessage, decodeSingleFrame, encodeFrame } from "./frames.js";
import { releaseWhenClosed, useLeanAsyncResourceBind } from "./http2-retention.js";
import { Status } from "./wire.js";

/** Callers name statuses from here, beside the client. */
export { Status };

/** A call that ended with a non-OK gRPC status. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  constructor(
    readonly code: number,
    message: string,
    /** Field-level details a service attached (x-error-details). */
    readonly details: Readonly<Record<string, string>> = {},
    /**
     * The request never reached the server (no connection, or a stream the server refused),
     * so no handler ran: safe to send again elsewhere, idempotent or not.
     */
    readonly unprocessed = false,
  ) {
    super(message);
  }
}

export interface CallOptions {
  /** The deadline, sent as grpc-timeout; the call fails with DEADLINE_EXCEEDED after it. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * Safe to repeat (a read, or a write keyed for idempotency): a balanced client retries it
   * on another replica after any UNAVAILABLE, within the deadline (balancer.ts). A plain
   * client ignores it.
   */
  readonly idempotent?: boolean;
}

export type Client<S extends DescService> = {
  [K in keyof S["method"]]: (
    request: MessageInitShape<S["method"][K]["input"]>,
    options?: CallOptions,
  ) => Promise<MessageShape<S["method"][K]["output"]>>;
} & { close(): void };

const headerSetter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};

function parseDetails(raw: unknown): Record<string, string> {
  if (typeof raw !== "string") return {};
  try {
    return JSON.parse(raw) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * A unary gRPC client on one multiplexed node:http2 session. The gateway's hot path calls
 * through it: measured here, grpc-js's client spent about twice the CPU per call (see the
 * README's benchmark section), while this speaks the same wire protocol to any gRPC server.
 */
export function createClient<S extends DescService>(
  service: S,
  target: string,
  defaults: {
    timeoutMs: number;
    /** The caller's token for each call (its `CallerIdentity` towards this service); callees refuse calls without. */
    caller?: CallCredentials;
  },
): Client<S> {
  // Each request would otherwise leave its objects for the old generation (http2-retention.ts).
  useLeanAsyncResourceBind();
  let session: http2.ClientHttp2Session | undefined;
  /** Sessions that completed their connection: a call failing on any other was never sent. */
  const connected = new WeakSet<http2.ClientHttp2Session>();
  const connect = () => {
    if (session && !session.closed && !session.destroyed) return session;
    const fresh = http2.connect(`http://${target}`);
    fresh.once("connect", () => connected.add(fresh));
    fresh.on("error", () => undefined); // surfaced per call, below
    fresh.on("goaway", () => fresh.close());
    fresh.on("close", () => {
      if (session === fresh) session = undefined;
    });
    fresh.unref();
    session = fresh;
    return fresh;
  };

  const call = (
    method: DescMethod,
    request: MessageInitShape<DescMethod["input"]>,
    options: CallOptions = {},
  ) => {
    const input = codec(method.input);
    const output = codec(method.output);
    const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
    return traced(
      `${service.typeName}/${method.name}`,
      {
        "rpc.system": "grpc",
        "rpc.service": service.typeName,
        "rpc.method": method.name,
        "server.address": target,
      },
      () =>
        new Promise<MessageShape<DescMethod["output"]>>((resolve, reject) => {
          const headers: Record<string, string> = {
            ":method": "POST",
            ":path": methodPath(method),
            "content-type": "application/grpc+proto",
            te: "trailers",
            "grpc-timeout": `${Math.max(1, Math.ceil(timeoutMs))}m`,
            ...(defaults.caller ? { authorization: defaults.caller.authorization(request) } : {}),
            ...options.metadata,
          };
          propagation.inject(context.active(), headers, headerSetter);
          let stream: http2.ClientHttp2Stream;
          const current = connect();
          try {
            stream = current.request(headers, { endStream: false });
          } catch (err) {
            return reject(
              new RpcError(Status.UNAVAILABLE, `${target} unavailable: ${(err as Error).message}`, {}, true),
            );
          }
          releaseWhenClosed(stream);
          /** Whether the server cannot have run the call: never connected, or the stream refused. */
          const unsent = () =>
            !connected.has(current) || stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM;
          const chunks: Buffer[] = [];
          let status: http2.IncomingHttpHeaders | undefined;
          let settled = false;
          const finish = (err: RpcError | undefined, value?: MessageShape<DescMethod["output"]>) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            options.signal?.removeEventListener("abort", onAbort);
            if (err) reject(err);
            else resolve(value!);
          };
          const timer = setTimeout(() => {
            stream.close(http2.constants.NGHTTP2_CANCEL);
            finish(
              new RpcError(Status.DEADLINE_EXCEEDED, `${method.name} exceeded its ${timeoutMs} ms deadline`),
            );
          }, timeoutMs);
          const onAbort = () => {
            stream.close(http2.constants.NGHTTP2_CANCEL);
            finish(new RpcError(Status.CANCELLED, `${method.name} cancelled`));
          };
          options.signal?.addEventListener("abort", onAbort, { once: true });
          stream.on("response", (h) => {
            if (h[":status"] !== 200) {
              finish(new RpcError(Status.UNAVAILABLE, `${target} answered HTTP ${h[":status"]}, not gRPC`));
            } else if (h["grpc-status"] !== undefined) status = h; // trailers-only response
          });
          stream.on("trailers", (t) => {
            status = t;
          });
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("error", (err) =>
            finish(new RpcError(Status.UNAVAILABLE, `${target} unavailable: ${err.message}`, {}, unsent())),
          );
          stream.on("close", () => {
            if (settled) return;
            // A stream that ends without a status was cut off (the connection dropped, or a reset).
            if (!status)
              return finish(
                new RpcError(Status.UNAVAILABLE, `${target} closed the call without a status`, {}, unsent()),
              );
            const code = Number(status?.["grpc-status"] ?? Status.UNKNOWN);
            if (code !== Status.OK) {
              const message =
                decodeGrpcMessage(status?.["grpc-message"] as string | undefined) || `${method.name} failed`;
              return finish(new RpcError(code, message, parseDetails(status?.["x-error-details"])));
            }
            try {
              const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
              finish(undefined, output.decode(decodeSingleFrame(body)));
            } catch (err) {
              finish(new RpcError(Status.INTERNAL, `bad response from ${target}: ${(err as Error).message}`));
            }
          });
          stream.end(encodeFrame(input.encode(request)));
        }),
    );
  };

  const client: Record<string, unknown> = { close: () => session?.close() };
  for (const method of service.methods) {
    client[method.localName] = (request: MessageInitShape<DescMethod["input"]>, options?: CallOptions) =>
      call(method, request, options);
  }
  return client as Client<S>;
}
