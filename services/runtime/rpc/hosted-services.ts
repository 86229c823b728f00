import { EventEmitter } from "node:events";
import type http2 from "node:http2";
import type * as grpc from "@grpc/grpc-js";
import { FrameReader, openResponse, readUnaryRequest, Status, sendMessage, sendStatus } from "./wire.js";

/**
 * The standard services every server offers beside its own, health and reflection, come from
 * their maintained packages (grpc-health-check, @grpc/reflection) as grpc-js service
 * implementations. This hosts them on the runtime's own HTTP/2 server: each package adds
 * its service to a stand-in for grpc-js's server, and its handlers get the parts of a grpc-js
 * call they use (the request, write/end, the "data", "end" and "cancelled" events).
 */

/** Handles one call of a hosted method, on its HTTP/2 stream. */
export type HostedRoute = (stream: http2.ServerHttp2Stream, maxBytes: number) => void;

type Definition = grpc.MethodDefinition<unknown, unknown>;
type Implementation = (call: unknown, callback?: (err: unknown, value?: unknown) => void) => void;

/** The routes of everything `add` puts on its stand-in server, by gRPC path. */
export function hostedRoutes(
  add: (server: Pick<grpc.Server, "addService">) => void,
): Map<string, HostedRoute> {
  const routes = new Map<string, HostedRoute>();
  add({
    addService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) {
      for (const [name, definition] of Object.entries(service) as [string, Definition][]) {
        const handler = (implementation[name] ??
          implementation[name.charAt(0).toLowerCase() + name.slice(1)]) as unknown as Implementation;
        if (handler) routes.set(definition.path, route(definition, handler));
      }
    },
  });
  return routes;
}

function route(definition: Definition, handler: Implementation): HostedRoute {
  if (definition.requestStream) return (stream, maxBytes) => bidi(definition, handler, stream, maxBytes);
  return (stream, maxBytes) => {
    readUnaryRequest(stream, maxBytes).then(
      (bytes) => {
        const request = definition.requestDeserialize(bytes);
        if (definition.responseStream) serverStream(definition, handler, stream, request);
        else unary(definition, handler, stream, request);
      },
      (err: { code?: number; message: string }) =>
        sendStatus(stream, { code: err.code ?? Status.INTERNAL, message: err.message }),
    );
  };
}

function unary(
  definition: Definition,
  handler: Implementation,
  stream: http2.ServerHttp2Stream,
  request: unknown,
) {
  handler({ request }, (err, value) => {
    if (err) {
      const { code, details } = err as { code?: number; details?: string };
      sendStatus(stream, { code: code ?? Status.UNKNOWN, message: details ?? "" });
    } else sendMessage(stream, definition.responseSerialize(value));
  });
}

/** A call object that emits "cancelled" when the caller goes before the call ends. */
function callOf(definition: Definition, stream: http2.ServerHttp2Stream, request?: unknown) {
  const response = openResponse(stream);
  let ended = false;
  const call = Object.assign(new EventEmitter(), {
    request,
    write: (message: unknown) => response.write(definition.responseSerialize(message)),
    end: () => {
      ended = true;
      response.end();
    },
  });
  stream.once("close", () => {
    if (!ended) call.emit("cancelled");
  });
  return call;
}

function serverStream(
  definition: Definition,
  handler: Implementation,
  stream: http2.ServerHttp2Stream,
  request: unknown,
) {
  handler(callOf(definition, stream, request));
}

function bidi(
  definition: Definition,
  handler: Implementation,
  stream: http2.ServerHttp2Stream,
  maxBytes: number,
) {
  const call = callOf(definition, stream);
  handler(call);
  const reader = new FrameReader(maxBytes);
  stream.on("data", (chunk: Buffer) => {
    try {
      for (const message of reader.push(chunk)) call.emit("data", definition.requestDeserialize(message));
    } catch {
      stream.close();
    }
  });
  stream.once("end", () => call.emit("end"));
}
