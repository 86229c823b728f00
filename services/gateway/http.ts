import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import { HttpProblem, type ProblemKind, problemKinds, problemType } from "./problems.js";

/** The largest request line and headers the server reads (Node's `maxHeaderSize`). */
export const maxHeaderBytes = 16 * 1024;

/**
 * The HTTP edges of a request: reading a body within a limit, its media type, JSON
 * parsing, and writing responses. Every client mistake here is a 4xx problem.
 */

/** Whether the request carries a body at all (RFC 9112: Content-Length or Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/** Refuses a body that is not JSON, or is compressed; `application/json` with any charset is accepted. */
export function requireJson(req: IncomingMessage): void {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json")
    throw new HttpProblem(
      "unsupported-media-type",
      type
        ? `the body must be application/json, not ${type}`
        : "the body must be application/json; Content-Type is missing",
      {},
      { "Accept-Post": "application/json" },
    );
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers["content-type"] ?? "")?.[1];
  if (charset && charset.toLowerCase() !== "utf-8")
    throw new HttpProblem("unsupported-media-type", `the body must be UTF-8, not ${charset}`);
  const encoding = req.headers["content-encoding"];
  if (encoding && encoding.toLowerCase() !== "identity")
    throw new HttpProblem(
      "unsupported-media-type",
      `Content-Encoding ${encoding} is not supported; send the body uncompressed`,
    );
}

const tooLarge = (limit: number) =>
  new HttpProblem("payload-too-large", `the body may be at most ${limit} bytes`, { limit });

/**
 * Reads the whole body, at most `limit` bytes. A declared Content-Length over the limit is
 * refused before reading anything; a chunked body is refused as soon as it passes the limit,
 * without reading the rest (the connection is then closed, see `send`).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new HttpProblem("bad-request", `the request body could not be read: ${err.message}`));
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses a JSON body; malformed JSON or invalid UTF-8 is a 400 that says where. */
export function parseJson(body: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HttpProblem("malformed-json", "the body is not valid UTF-8");
  }
  if (text.trim() === "")
    throw new HttpProblem("malformed-json", "the body is empty; a JSON document is required");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpProblem("malformed-json", `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Writes a JSON (or problem) response. A request whose body was not read to the end (a
 * refused upload) gets `Connection: close`, so the rest of it is never read.
 */
export function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
  contentType = "application/json",
): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (!req.complete) res.setHeader("Connection", "close");
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const payload = toJson(body);
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) });
  res.end(payload);
}

/** int64 fields arrive as bigint; the API's integers are within 2^53, so they go out as numbers. */
const jsonReplacer = (_key: string, value: unknown) => (typeof value === "bigint" ? Number(value) : value);

/**
 * JSON without the replacer first: a replacer takes V8 off its fast serializer (twice the
 * time for a product), and most bodies hold no bigint. One that does throws, and is
 * serialized again with the replacer.
 */
export function toJson(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch (err) {
    if (err instanceof TypeError && /BigInt/i.test(err.message)) return JSON.stringify(body, jsonReplacer);
    throw err;
  }
}

/**
 * The answer to a request Node's HTTP parser refused before the gateway saw it (the server's
 * `clientError`): a problem document like every other refusal, instead of Node's bare status
 * line. A request line and headers over the server's limit (`maxHeaderSize`) is a 431, a head
 * not sent in time a 408, anything else the parser cannot read a 400. Undefined when there is
 * no one to answer (the client reset the connection).
 */
export function clientErrorReply(
  err: NodeJS.ErrnoException,
  requestId: string,
): { status: number; raw: string } | undefined {
  if (err.code === "ECONNRESET" || err.code === "EPIPE") return undefined;
  const [kind, detail]: [ProblemKind, string] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [
          "headers-too-large",
          `the request line and headers may be at most ${maxHeaderBytes} bytes; send long values in the body`,
        ]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? ["request-timeout", "the request was not received in time"]
        : ["bad-request", `the request is not valid HTTP/1.1 (${err.code ?? "unreadable"})`];
  const { status, title } = problemKinds[kind];
  const body = JSON.stringify({ type: problemType(kind), title, status, detail, requestId });
  const raw = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
  return { status, raw };
}
