/** Test helpers of the notifications integration tests: a webhook receiver on loopback, and polling. */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface Hit {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** How a receiver answers a path: with a status, or never (it holds the request open). */
export type Answer = number | "never";

/** The first segment of a path, `/hooks` of `/hooks/7`: what open requests are counted by. */
const firstSegment = (path: string) => `/${path.split("/")[1] ?? ""}`;

/**
 * A webhook receiver on loopback: each path answers as `answerFor` says and records its
 * hits. It counts the requests it holds open (per first path segment), and the most it
 * held at once.
 */
export class Receiver {
  readonly hits = new Map<string, Hit[]>();
  readonly #open = new Map<string, number>();
  readonly #peakOpen = new Map<string, number>();
  readonly #server: Server;
  port = 0;

  constructor(private readonly answerFor: (path: string) => Answer) {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const path = request.url ?? "/";
        const list = this.hits.get(path) ?? [];
        list.push({ headers: request.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
        this.hits.set(path, list);
        const answer = this.answerFor(path);
        if (answer !== "never") return response.writeHead(answer).end();
        this.#hold(firstSegment(path), response);
      });
    });
  }

  #hold(segment: string, response: ServerResponse): void {
    const open = (this.#open.get(segment) ?? 0) + 1;
    this.#open.set(segment, open);
    this.#peakOpen.set(segment, Math.max(open, this.#peakOpen.get(segment) ?? 0));
    response.on("close", () => this.#open.set(segment, (this.#open.get(segment) ?? 1) - 1));
  }

  /** The most requests under `segment` (e.g. "/hooks") held open at once so far. */
  peakOpen = (segment: string) => this.#peakOpen.get(segment) ?? 0;

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  url = (path: string) => `http://127.0.0.1:${this.port}${path}`;
  at = (path: string) => this.hits.get(path) ?? [];

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** Polls `probe` until it returns a value, or fails naming what it waited for. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
