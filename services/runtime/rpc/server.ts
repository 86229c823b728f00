import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import type { GenFile } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
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

/** What a handler knows about its call besides the request. */
export interface CallContext {
  /** Aborted when the caller cancels or the deadline passes. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the caller's deadline (Infinity without one). */
  remainingMs(): number;
  readonly metadata: grpc.Metadata;
  readonly logger: Logger;
  /** The calling service, as its verified call token names it. */
  readonly caller: string;
}

type Input<M extends DescMethod> = MessageShape<M["input"]>;
/** A handler may return a plain object: unset fields take their protobuf defaults. */
type Output<M extends DescMethod> = MessageInitShape<M["output"]>;

/** A service's handlers: one small async function per RPC. */
export type Handlers<S extends DescService> = {
  [K in keyof S["method"]]: (
    request: Input<S["method"][K]>,
    call: CallContext,
  ) => Promise<Output<S["method"][K]>>;
};

const metadataGetter = {
  keys: (carrier: grpc.Metadata) => Object.keys(carrier.getMap()),
  get: (carrier: grpc.Metadata, key: string) => carrier.get(key).map(String),
};

const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

/** Maps a thrown error to the gRPC status the caller sees; unknown errors never leak details. */
export function toStatus(err: unknown): { code: grpc.status; details: string; metadata?: grpc.Metadata } {
  if (err instanceof ServiceError) {
    const metadata = new grpc.Metadata();
    // Metadata values must be printable ASCII: other characters go as JSON \u escapes.
    if (Object.keys(err.details).length > 0) metadata.set("x-error-details", asciiJson(err.details));
    return { code: err.code, details: err.message, metadata };
  }
  if ((err as Error)?.name === "AbortError")
    return { code: grpc.status.CANCELLED, details: "call cancelled" };
  return { code: grpc.status.INTERNAL, details: "internal error" };
}

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
 * A gRPC server (grpc-js) for one protobuf-es service: binary protobuf codecs from the
 * generated descriptors, the standard health service, server reflection outside production,
 * the caller check on every RPC, deadlines, W3C trace context from metadata, request
 * metrics, and errors mapped to status codes.
 */
export class RpcServer<S extends DescService = DescService> {
  readonly server = new grpc.Server({ "grpc.max_receive_message_length": 4 * 1024 * 1024 });
  readonly health: HealthImplementation;

  constructor(
    readonly service: S,
    handlers: Handlers<S>,
    private readonly options: RpcServerOptions,
  ) {
    const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const reserved of Object.keys(options.callers.reservedRpcs))
      if (!service.methods.some((m) => m.name === reserved))
        throw new Error(`${service.typeName} has no RPC ${reserved} to reserve for some callers`);
    for (const method of service.methods) {
      const handler = (handlers as Handlers<DescService>)[method.localName];
      if (!handler) throw new Error(`${service.typeName}: no handler for ${method.name}`);
      definition[method.name] = methodDefinition(method);
      implementation[method.name] = this.#unary(method, withSlowPath(handler, method.name, options.slowPath));
    }
    this.server.addService(definition as grpc.ServiceDefinition, implementation);
    this.health = new HealthImplementation({ "": "NOT_SERVING", [service.typeName]: "NOT_SERVING" });
    this.health.addToServer(this.server);
    if (options.reflection) {
      const reflectionSource = loadFileDescriptorSetFromBuffer(Buffer.from(descriptorSet(options.file)));
      new ReflectionService(reflectionSource).addToServer(this.server);
    }
  }

  #unary(method: DescMethod, handler: Handlers<DescService>[string]): grpc.handleUnaryCall<unknown, unknown> {
    const route = method.name;
    const { logger, metrics, callers } = this.options;
    const carriesPrincipal = method.input.fields.some((field) => field.localName === "principal");
    return (call, callback) => {
      const end = metrics.begin(route);
      const parent = propagation.extract(context.active(), call.metadata, metadataGetter);
      const deadline = call.getDeadline();
      const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
      const controller = new AbortController();
      call.on("cancelled", () => controller.abort());
      context
        .with(parent, () =>
          traced(
            `${this.service.typeName}/${method.name}`,
            { "rpc.system": "grpc", "rpc.service": this.service.typeName, "rpc.method": method.name },
            () => {
              const authorization = call.metadata.get("authorization")[0];
              const { iss } = callers.admit(
                route,
                authorization,
                carriesPrincipal ? (call.request as never) : undefined,
              );
              const callContext: CallContext = {
                signal: controller.signal,
                remainingMs: () =>
                  Number.isFinite(deadlineMs) ? deadlineMs - Date.now() : Number.POSITIVE_INFINITY,
                metadata: call.metadata,
                logger,
                caller: iss,
              };
              return handler(call.request as never, callContext);
            },
            SpanKind.SERVER,
          ),
        )
        .then(
          (response) => {
            end("ok");
            callback(null, response);
          },
          (err: unknown) => {
            const status = toStatus(err);
            const serverSide =
              status.code === grpc.status.INTERNAL || status.code === grpc.status.UNAVAILABLE;
            end(serverSide ? "error" : "ok");
            if (status.code === grpc.status.INTERNAL)
              logger.error({ err, rpc: route }, "unhandled error in handler");
            callback({ code: status.code, details: status.details, metadata: status.metadata });
          },
        );
    };
  }

  /** Binds to host:port and marks the service SERVING; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
        if (err) return reject(err);
        this.health.setStatus("", "SERVING");
        this.health.setStatus(this.service.typeName, "SERVING");
        resolve(bound);
      });
    });
  }

  /** Reports NOT_SERVING and stops accepting calls; in-flight calls finish. */
  stopAccepting(): Promise<void> {
    this.health.setStatus("", "NOT_SERVING");
    this.health.setStatus(this.service.typeName, "NOT_SERVING");
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

function methodDefinition(method: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  const input = codec(method.input as DescMessage);
  const output = codec(method.output as DescMessage);
  return {
    path: methodPath(method),
    requestStream: false,
    responseStream: false,
    requestSerialize: (message) => Buffer.from(input.encode(message as never)),
    requestDeserialize: (bytes) => input.decode(bytes),
    responseSerialize: (message) => Buffer.from(output.encode(message as never)),
    responseDeserialize: (bytes) => output.decode(bytes),
  };
}
