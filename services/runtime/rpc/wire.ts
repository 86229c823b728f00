import type http2 from "node:http2";
import { encodeFrame } from "./frames.js";

/**
 * The server's side of gRPC over HTTP/2 (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md):
 * deadlines from `grpc-timeout`, messages framed in the body, the status in trailers, or in
 * the headers alone ("trailers-only") when there is no message.
 */

/** gRPC status codes (the numbers every gRPC implementation shares), for servers and clients. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const timeoutUnits: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * The deadline a `grpc-timeout` header sets, in ms from now; Infinity without (or with a
 * bad) one. Read digit by digit: every call carries one, and a regular expression's match
 * cost more than the rest of the parse.
 */
export function timeoutMs(header: string | string[] | undefined): number {
  // One to eight digits, then the unit.
  if (typeof header !== "string" || header.length < 2 || header.length > 9) return Number.POSITIVE_INFINITY;
  const unit = timeoutUnits[header[header.length - 1]!];
  if (unit === undefined) return Number.POSITIVE_INFINITY;
  let amount = 0;
  for (let i = 0; i < header.length - 1; i++) {
    const digit = header.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.POSITIVE_INFINITY;
    amount = amount * 10 + digit;
  }
  return amount * unit;
}

/** grpc-message is percent-encoded: anything outside printable ASCII, and "%" itself. */
export const encodeGrpcMessage = (message: string) =>
  message.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));

export interface CallStatus {
  readonly code: number;
  readonly message: string;
  /** Extra trailers, e.g. `x-error-details`. */
  readonly trailers?: Readonly<Record<string, string>>;
}

const okTrailers = { "grpc-status": "0" };
const responseHeaders = { ":status": 200, "content-type": "application/grpc+proto" };

function statusTrailers(status: CallStatus): http2.OutgoingHttpHeaders {
  return {
    "grpc-status": String(status.code),
    ...(status.message ? { "grpc-message": encodeGrpcMessage(status.message) } : {}),
    ...status.trailers,
  };
}

/** Whether the stream can still carry an answer (the caller has not gone, nothing was sent). */
export const answerable = (stream: http2.ServerHttp2Stream) =>
  !stream.destroyed && !stream.closed && !stream.headersSent;

/** One message and status OK in its trailers. */
export function sendMessage(stream: http2.ServerHttp2Stream, message: Uint8Array): void {
  if (!answerable(stream)) return;
  stream.once("wantTrailers", () => stream.sendTrailers(okTrailers));
  stream.respond(responseHeaders, { waitForTrailers: true });
  stream.end(encodeFrame(message));
}

/** A status without a message, in the response headers alone (trailers-only). */
export function sendStatus(stream: http2.ServerHttp2Stream, status: CallStatus): void {
  if (!answerable(stream)) return;
  stream.respond({ ...responseHeaders, ...statusTrailers(status) }, { endStream: true });
}

/** For streaming answers: headers now, then messages, then the status as trailers. */
export function openResponse(stream: http2.ServerHttp2Stream) {
  stream.respond(responseHeaders, { waitForTrailers: true });
  return {
    write: (message: Uint8Array) => !stream.destroyed && stream.write(encodeFrame(message)),
    end(status: CallStatus = { code: Status.OK, message: "" }) {
      if (stream.destroyed || stream.writableEnded) return;
      stream.once("wantTrailers", () => stream.sendTrailers(statusTrailers(status)));
      stream.end();
    },
  };
}

/**
 * Splits a request body into gRPC messages as its chunks arrive; refuses compressed frames
 * (we never negotiate compression) and messages over `maxBytes`.
 */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  /** The whole messages completed by `chunk`. */
  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const messages: Buffer[] = [];
    while (this.#pending.length >= 5) {
      if (this.#pending[0] !== 0)
        throw new FrameError(Status.UNIMPLEMENTED, "compressed messages are not accepted");
      const length = this.#pending.readUInt32BE(1);
      if (length > this.maxBytes)
        throw new FrameError(
          Status.RESOURCE_EXHAUSTED,
          `a message of ${length} bytes is over the limit of ${this.maxBytes}`,
        );
      if (this.#pending.length < 5 + length) break;
      messages.push(this.#pending.subarray(5, 5 + length));
      this.#pending = this.#pending.subarray(5 + length);
    }
    return messages;
  }

  /** Whether a message was left incomplete. */
  get partial(): boolean {
    return this.#pending.length > 0;
  }
}

/** A request body that is not a valid gRPC message stream. */
export class FrameError extends Error {
  override readonly name = "FrameError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The one message of a unary request, once its body has ended. */
export function readUnaryRequest(stream: http2.ServerHttp2Stream, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader(maxBytes);
    const messages: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => {
      try {
        messages.push(...reader.push(chunk));
      } catch (err) {
        stream.removeAllListeners("data");
        reject(err);
      }
    });
    stream.once("end", () => {
      if (messages.length !== 1 || reader.partial)
        reject(new FrameError(Status.INTERNAL, `a unary call carries one message, not ${messages.length}`));
      else resolve(messages[0]!);
    });
    stream.once("error", reject);
  });
}
