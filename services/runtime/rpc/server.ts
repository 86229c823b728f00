import http2 from "node:http2";
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import type { GenFile } from "@bufbuild/protobuf/codegenv2";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { context, propagation, SpanKind } from "@opentelemetry/api";
import { HealthImplementation } from "grpc-health-check";
import { ServiceError } from "../errors.js";
import { type SlowPathFault, withSlowPath } from "../faults.js";
import type { Logger } from "../logger.js";
import type { RequestMetrics } from "../metrics.js";
import { traced } from "../tracing.js";
import type { CallerCheck } from "./caller-check.js";
import { codec, descriptorSet, methodPath } from "./descriptors.js";
import { Encoded } from "./encoded.js";
import { type HostedRoute, hostedRoutes } from "./hosted-services.js";
import { releaseWhenClosed } from "./http2-retention.js";
import {
  answerable,
  type CallStatus,
  FrameError,
  readUnaryRequest,
  Status,
  sendMessage,
  sendStatus,
  timeoutMs,
} from "./wire.js";

/** What a handler knows about its call besides the request. */
export interface CallContext {
  /** Aborted when the caller cancels or the deadline passes. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the caller's deadline (Infinity without one). */
  remainingMs(): number;
  /** The call's HTTP/2 headers: its metadata. */
  readonly metadata: http2.IncomingHttpHeaders;
  readonly logger: Logger;
  /** The calling service, as its verified call token names it. */
  readonly caller: string;
}

type Input<M extends DescMethod> = MessageShape<M["input"]>;
/**
 * A handler may return a plain object (unset fields take their protobuf defaults), or an
 * answer it encoded before (encoded.ts).
 */
type Output<M extends DescMethod> = MessageInitShape<M["output"]> | Encoded<M["output"]>;

/** A service's handlers: one small async function per RPC. */
export type Handlers<S extends DescService> = {
  [K in keyof S["method"]]: (
    request: Input<S["method"][K]>,
    call: CallContext,
  ) => Promise<Output<S["method"][K]>>;
};

const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

/** Maps a thrown error to the gRPC status the caller sees; unknown errors never leak details. */
export function toStatus(err: unknown): CallStatus {
  if (err instanceof ServiceError)
    // Metadata values must be printable ASCII: other characters go as JSON \u escapes.
    return {
      code: err.code,
      message: err.message,
      ...(Object.keys(err.details).length > 0
        ? { trailers: { "x-error-details": asciiJson(err.details) } }
        : {}),
    };
  if (err instanceof FrameError) return { code: err.code, message: err.message };
  if ((err as Error)?.name === "AbortError") return { code: Status.CANCELLED, message: "call cancelled" };
  return { code: Status.INTERNAL, message: "internal error" };
}

/** Requests larger than this are refused with RESOURCE_EXHAUSTED (grpc-js's default too). */
const maxRequestBytes = 4 * 1024 * 1024;

export interface RpcServerOptions {
  readonly file: GenFile;
  readonly logger: Logger;
  readonly metrics: RequestMetrics;
  /** A drill's slow path (../faults.ts); off unless local mode allows it. */
  readonly slowPath?: SlowPathFault;
  /** Who may call: every call's token is checked before its handler runs (caller-check.ts). */
  readonly callers: CallerCheck;
  /** Serve gRPC reflection (a tool's view of every RPC); off in production (`reflectionAllowed`). */
  readonly reflection: boolean;
}

/** Reflection lists every RPC and message to anyone who can connect: never under NODE_ENV=production. */
export const reflectionAllowed = (env: NodeJS.ProcessEnv) => env["NODE_ENV"] !== "production";

/**
 * A gRPC server for one protobuf-es service, on node:http2 with the wire protocol in
 * wire.ts: binary protobuf codecs from the generated descriptors, the standard health
 * service, server reflection outside production, the caller check on every RPC, deadlines,
 * cancellation, W3C trace context from metadata, request metrics, and errors mapped to status
 * codes. It replaced grpc-js's server: measured here, a call cost catalog about half the CPU
 * (README, "Why this gRPC stack"). Health and reflection are the maintained packages'
 * implementations, hosted on it (hosted-services.ts).
 */
export class RpcServer<S extends DescService = DescService> {
  readonly health: HealthImplementation;
  readonly #server = http2.createServer({ maxSessionMemory: 64 });
  readonly #routes = new Map<
    string,
    (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void
  >();
  readonly #hosted: Map<string, HostedRoute>;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  /** Calls of the hosted services, some of which stream until told to stop (health's Watch). */
  readonly #hostedCalls = new Set<http2.ServerHttp2Stream>();
  #accepting = true;

  constructor(
    readonly service: S,
    handlers: Handlers<S>,
    private readonly options: RpcServerOptions,
  ) {
    for (const reserved of Object.keys(options.callers.reservedRpcs))
      if (!service.methods.some((m) => m.name === reserved))
        throw new Error(`${service.typeName} has no RPC ${reserved} to reserve for some callers`);
    for (const method of service.methods) {
      const handler = (handlers as Handlers<DescService>)[method.localName];
      if (!handler) throw new Error(`${service.typeName}: no handler for ${method.name}`);
      this.#routes.set(
        methodPath(method),
        this.#unary(method, withSlowPath(handler, method.name, options.slowPath)),
      );
    }
    this.health = new HealthImplementation({ "": "NOT_SERVING", [service.typeName]: "NOT_SERVING" });
    this.#hosted = hostedRoutes((server) => {
      this.health.addToServer(server as never);
      if (options.reflection) {
        const reflectionSource = loadFileDescriptorSetFromBuffer(Buffer.from(descriptorSet(options.file)));
        new ReflectionService(reflectionSource).addToServer(server as never);
      }
    });
    this.#server.on("session", (session) => {
      this.#sessions.add(session);
      session.once("close", () => this.#sessions.delete(session));
      session.on("error", () => undefined); // a peer's broken connection ends only its calls
    });
    this.#server.on("stream", (stream, headers) => this.#dispatch(stream, headers));
  }

  #dispatch(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", () => undefined); // a reset by the caller; the call sees its signal
    releaseWhenClosed(stream);
    const path = headers[":path"] ?? "";
    if (headers[":method"] !== "POST" || !String(headers["content-type"]).startsWith("application/grpc")) {
      if (!stream.headersSent) stream.respond({ ":status": 415 }, { endStream: true });
      return;
    }
    const route = this.#routes.get(path);
    const hosted = this.#hosted.get(path);
    if (!this.#accepting)
      sendStatus(stream, { code: Status.UNAVAILABLE, message: "the server is shutting down" });
    else if (route) route(stream, headers);
    else if (hosted) {
      this.#hostedCalls.add(stream);
      stream.once("close", () => this.#hostedCalls.delete(stream));
      hosted(stream, maxRequestBytes);
    } else sendStatus(stream, { code: Status.UNIMPLEMENTED, message: `${path} is not served here` });
  }

  #unary(method: DescMethod, handler: Handlers<DescService>[string]) {
    const route = method.name;
    const { logger, metrics, callers } = this.options;
    const input = codec(method.input as DescMessage);
    const output = codec(method.output as DescMessage);
    const carriesPrincipal = method.input.fields.some((field) => field.localName === "principal");
    const spanName = `${this.service.typeName}/${method.name}`;
    const spanAttributes = {
      "rpc.system": "grpc",
      "rpc.service": this.service.typeName,
      "rpc.method": method.name,
    };
    return (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      const end = metrics.begin(route);
      const parent = propagation.extract(context.active(), headers);
      const deadline = Date.now() + timeoutMs(headers["grpc-timeout"]);
      const controller = new AbortController();
      const timer = Number.isFinite(deadline)
        ? setTimeout(() => {
            controller.abort();
            sendStatus(stream, { code: Status.DEADLINE_EXCEEDED, message: "deadline exceeded" });
          }, deadline - Date.now())
        : undefined;
      // A caller that resets or goes before the answer cancels the call.
      stream.once("close", () => {
        clearTimeout(timer);
        if (!stream.headersSent) controller.abort();
      });
      context
        .with(parent, () =>
          traced(
            spanName,
            spanAttributes,
            async () => {
              const request = input.decode(await readUnaryRequest(stream, maxRequestBytes));
              const { iss } = callers.admit(
                route,
                headers["authorization"],
                carriesPrincipal ? (request as never) : undefined,
              );
              const callContext: CallContext = {
                signal: controller.signal,
                remainingMs: () => deadline - Date.now(),
                metadata: headers,
                logger,
                caller: iss,
              };
              return handler(request as never, callContext);
            },
            SpanKind.SERVER,
          ),
        )
        .then(
          (response) => {
            clearTimeout(timer);
            end("ok");
            sendMessage(
              stream,
              response instanceof Encoded ? response.bytes : output.encode(response as never),
            );
          },
          (err: unknown) => {
            clearTimeout(timer);
            const status = toStatus(err);
            const serverSide = status.code === Status.INTERNAL || status.code === Status.UNAVAILABLE;
            end(serverSide ? "error" : "ok");
            if (status.code === Status.INTERNAL && answerable(stream))
              logger.error({ err, rpc: route }, "unhandled error in handler");
            sendStatus(stream, status);
          },
        );
    };
  }

  /** Binds to host:port and marks the service SERVING; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        this.health.setStatus("", "SERVING");
        this.health.setStatus(this.service.typeName, "SERVING");
        resolve((this.#server.address() as { port: number }).port);
      });
    });
  }

  /**
   * Reports NOT_SERVING and stops accepting calls: new connections are refused, open ones
   * are told to go away (GOAWAY), and calls in flight finish; resolves once they have.
   */
  stopAccepting(): Promise<void> {
    this.health.setStatus("", "NOT_SERVING");
    this.health.setStatus(this.service.typeName, "NOT_SERVING");
    this.#accepting = false;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const session of this.#sessions) session.close();
    // Watchers have been sent NOT_SERVING; their streams would otherwise hold the server open.
    setImmediate(() => {
      for (const stream of this.#hostedCalls) stream.close();
    });
    return closed;
  }
}
