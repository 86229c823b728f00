import http2 from "node:http2";
import { decodeSingleFrame, encodeFrame } from "./frames.js";

const checkPath = "/grpc.health.v1.Health/Check";
/** HealthCheckRequest { service: "" } (the server as a whole): an empty message. */
const request = encodeFrame(new Uint8Array(0));

/**
 * The standard gRPC health check (grpc.health.v1.Health/Check) of one replica, on a session
 * of its own so a probe never queues behind calls. Health is hosted beside every service by
 * the runtime's server (hosted-services.ts) and needs no call token; a draining server
 * answers NOT_SERVING or UNAVAILABLE, a dead one refuses the connection.
 */
export class HealthProbe {
  #session: http2.ClientHttp2Session | undefined;

  constructor(
    readonly target: string,
    private readonly timeoutMs: number,
  ) {}

  /** True when the replica answers SERVING within the timeout. */
  check(): Promise<boolean> {
    return new Promise((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.#connect().request({
          ":method": "POST",
          ":path": checkPath,
          "content-type": "application/grpc+proto",
          te: "trailers",
          "grpc-timeout": `${this.timeoutMs}m`,
        });
      } catch {
        return resolve(false);
      }
      const chunks: Buffer[] = [];
      let status: unknown;
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve(false);
      }, this.timeoutMs);
      stream.on("response", (headers) => {
        if (headers[":status"] !== 200) status = "http";
        else if (headers["grpc-status"] !== undefined) status = headers["grpc-status"];
      });
      stream.on("trailers", (trailers) => {
        status = trailers["grpc-status"];
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", () => undefined); // the close below answers false
      stream.on("close", () => {
        clearTimeout(timer);
        if (status !== "0") return resolve(false);
        try {
          // HealthCheckResponse { status = SERVING (1) }: field 1, varint 1.
          const message = decodeSingleFrame(Buffer.concat(chunks));
          resolve(message[0] === 0x08 && message[1] === 0x01);
        } catch {
          resolve(false);
        }
      });
      stream.end(request);
    });
  }

  close(): void {
    this.#session?.close();
  }

  #connect(): http2.ClientHttp2Session {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const fresh = http2.connect(`http://${this.target}`);
    fresh.on("error", () => undefined); // the probe's stream fails with it
    fresh.on("goaway", () => fresh.close());
    fresh.unref();
    this.#session = fresh;
    return fresh;
  }
}
