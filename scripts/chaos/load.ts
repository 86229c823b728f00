/**
 * Steady, open-loop load through the gateway: each kind of request leaves at its own fixed
 * rate whether or not earlier ones were answered, so a stalled platform shows as latency and
 * failures instead of as fewer requests. Reads are sent once (the gateway retries reads
 * itself); writes are retried, sign-ups with the same email and orders with the same
 * Idempotency-Key, until their deadline, as a careful client would.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Attempt, Outcome, RequestKind } from "./measure.js";

/** Requests per second by kind. */
export type LoadRates = Readonly<Record<RequestKind, number>>;

/** A rate two cores carry beside the whole platform with room for a fault's retries. */
export const defaultRates: LoadRates = { read: 40, search: 2, signup: 1, order: 4 };

/** Each attempt's own timeout: the gateway's deadline for its route plus a second. */
const attemptTimeoutMs: Readonly<Record<RequestKind, number>> = {
  read: 2_000,
  search: 2_000,
  signup: 4_000,
  order: 6_000,
};

export interface LoadTarget {
  readonly gatewayUrl: string;
  /** Products to read and order (with stock for the whole run). */
  readonly productIds: readonly string[];
  /** Access tokens of shoppers; orders are spread over them. */
  readonly shopperTokens: readonly string[];
  /** A word the searches look for. */
  readonly searchWord: string;
  /** How long a write is retried from when it was sent. */
  readonly writeDeadlineMs: number;
  /** Makes sign-up emails unique to this run. */
  readonly runId: string;
}

const signupPassword = "chaos-suite-password-2026";

interface Request {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** The outcome of one attempt: ok, or not, and whether the answer was a problem document. */
async function attempt(
  target: LoadTarget,
  kind: RequestKind,
  request: Request,
): Promise<{ attempt: Attempt; problem: boolean }> {
  const start = Date.now();
  let status = 0;
  let problem = false;
  let timedOut = false;
  try {
    const response = await fetch(`${target.gatewayUrl}${request.path}`, {
      method: request.method,
      headers: {
        ...(request.body !== undefined ? { "content-type": "application/json" } : {}),
        ...request.headers,
      },
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(attemptTimeoutMs[kind]),
    });
    await response.arrayBuffer();
    status = response.status;
    problem = (response.headers.get("content-type") ?? "").startsWith("application/problem+json");
  } catch (err) {
    status = 0;
    timedOut = (err as Error).name === "TimeoutError";
  }
  // Sign-up answers 202 whether or not the account exists, so a retried one is done too.
  const ok = status >= 200 && status < 300;
  return { attempt: { kind, start, ms: Date.now() - start, ok, status, timedOut }, problem };
}

/** Whether another attempt may help: no answer, a 5xx, or a 429. */
const retryable = (status: number) => status === 0 || status === 429 || status >= 500;

/** Collects every attempt and outcome while the load runs. */
export class LoadGenerator {
  readonly attempts: Attempt[] = [];
  readonly outcomes: Outcome[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #inflight = new Set<Promise<void>>();
  #sequence = 0;

  constructor(
    private readonly target: LoadTarget,
    private readonly rates: LoadRates = defaultRates,
  ) {}

  /** Starts every kind at its rate; `stop` ends the sending and waits for what is in flight. */
  start(): void {
    for (const [kind, rate] of Object.entries(this.rates) as [RequestKind, number][]) {
      if (rate <= 0) continue;
      this.#timers.push(setInterval(() => this.#send(kind), 1000 / rate));
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.length = 0;
    await Promise.all([...this.#inflight]);
  }

  #send(kind: RequestKind): void {
    const run = this.#request(kind).finally(() => this.#inflight.delete(run));
    this.#inflight.add(run);
  }

  #next<T>(items: readonly T[]): T {
    return items[this.#sequence++ % items.length]!;
  }

  #build(kind: RequestKind): Request {
    const n = this.#sequence++;
    switch (kind) {
      case "read":
        return { method: "GET", path: `/v1/products/${this.#next(this.target.productIds)}` };
      case "search":
        return { method: "GET", path: `/v1/search?q=${encodeURIComponent(this.target.searchWord)}` };
      case "signup":
        return {
          method: "POST",
          path: "/v1/auth/signup",
          body: {
            email: `chaos-${this.target.runId}-${n}@chaos.test`,
            password: signupPassword,
            name: `Chaos ${n}`,
          },
        };
      case "order":
        return {
          method: "POST",
          path: "/v1/orders",
          headers: {
            authorization: `Bearer ${this.#next(this.target.shopperTokens)}`,
            "idempotency-key": randomUUID(),
          },
          body: { lines: [{ productId: this.#next(this.target.productIds), quantity: 1 }] },
        };
    }
  }

  async #request(kind: RequestKind): Promise<void> {
    const due = Date.now();
    const request = this.#build(kind);
    const write = kind === "signup" || kind === "order";
    const deadline = due + this.target.writeDeadlineMs;
    for (let n = 1; ; n++) {
      const { attempt: a, problem } = await attempt(this.target, kind, request);
      this.attempts.push(a);
      const pause = backoffMs(n);
      // No attempt is started that could end past the deadline.
      const last =
        a.ok || !write || !retryable(a.status) || Date.now() + pause + attemptTimeoutMs[kind] > deadline;
      if (last) {
        this.outcomes.push({ kind, due, end: Date.now(), ok: a.ok, attempts: n, status: a.status, problem });
        return;
      }
      await sleep(pause);
    }
  }
}

/** Exponential backoff from 200 ms, at most 2 s, with jitter. */
export function backoffMs(attemptNumber: number, random = Math.random): number {
  const cap = Math.min(2_000, 200 * 2 ** (attemptNumber - 1));
  return cap / 2 + random() * (cap / 2);
}
