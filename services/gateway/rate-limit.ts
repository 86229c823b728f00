import { LRUCache } from "lru-cache";
import { z } from "zod";
import type { Logger } from "../runtime/logger.js";
import { luaScript, type Redis } from "../runtime/redis.js";
import { type Decision, gcra, gcraSource, guardRefusal, type Limit } from "./gcra.js";
import { RateLeases } from "./rate-leases.js";

/** Route classes, each with its own limit per bucket (limit-buckets.ts says which). */
export const routeClasses = ["auth", "read", "write"] as const;
export type RouteClass = (typeof routeClasses)[number];

/** "<requests>/<seconds>s", e.g. "600/60s". */
const limitSpec = z
  .string()
  .regex(/^\d+\/\d+s$/, { error: 'a limit such as "600/60s" (requests per seconds)' })
  .transform((v): Limit => {
    const [requests, seconds] = v.slice(0, -1).split("/").map(Number) as [number, number];
    return { requests, windowSeconds: seconds };
  })
  .refine((l) => l.requests > 0 && l.windowSeconds > 0, { error: "requests and seconds must be positive" });

export const rateLimitEnv = {
  RATE_LIMIT_AUTH: limitSpec
    .prefault("20/60s")
    .describe("per client address and per target email, for signup, login, refresh and logout"),
  RATE_LIMIT_READ: limitSpec
    .prefault("1200/60s")
    .describe("per user (all their tokens and keys) or address, for reads"),
  RATE_LIMIT_WRITE: limitSpec
    .prefault("120/60s")
    .describe("per user (all their tokens and keys) or address, for writes"),
  RATE_LIMIT_AUTH_FAILURES: limitSpec
    .prefault("20/60s")
    .describe(
      "per client address, failed authentications (forged or unknown credentials); over it, credentials are refused (429) unchecked",
    ),
  RATE_LIMIT_FAIL_MODE: z
    .enum(["local", "open", "closed"])
    .default("local")
    .describe("when Redis is down: local (in-process limits), open (no limits) or closed (503)"),
  RATE_LIMIT_LEASE_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(32)
    .describe(
      "the most requests a replica takes from a busy bucket in one Redis call (at most a 20th of the limit); 1 turns leases off",
    ),
  RATE_LIMIT_LEASE_MS: z.coerce
    .number()
    .int()
    .positive()
    .max(60_000)
    .default(1_000)
    .describe("how long a replica may use a lease; what is left then is lost"),
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(100)
    .describe("a rate-limit check slower than this counts as Redis being down"),
};

export type FailMode = "local" | "open" | "closed";

const runGcra = luaScript("gcra", gcraSource);

export interface RateLimiterOptions {
  readonly limits: Readonly<Record<RouteClass, Limit>>;
  /** Failed authentications allowed per client address. */
  readonly failureBudget: Limit;
  readonly failMode: FailMode;
  readonly redisTimeoutMs: number;
  /** The largest lease (1: none) and how long one lasts; see rate-leases.ts. */
  readonly lease: { readonly maxSize: number; readonly ttlMs: number };
  /** Prefix of the gateway's keys, e.g. "gateway:". */
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** One request to count: its class, the buckets it is charged to, and the address whose failure budget guards it. */
export interface LimitCheck {
  readonly routeClass: RouteClass;
  /** e.g. ["user:<id>"], ["ip:<address>"], or ["ip:<address>", "email:<digest>"] for a login. */
  readonly buckets: readonly string[];
  /** The client's address ("ip:<address>") when the request carried credentials. */
  readonly guard?: string | undefined;
}

/**
 * Per bucket and route class limits, plus each client address's budget of failed
 * authentications, in one Redis round trip per request (gcra.ts), or fewer: a busy bucket is
 * served from leases, requests taken from Redis ahead of use (rate-leases.ts), never more
 * than the limit across replicas. Redis decides for all
 * replicas together; when it fails or is slow, the fail mode decides: `local` limits in
 * process (each replica alone, so the effective limit is multiplied by the replica count
 * for the outage), `open` lets everything through, `closed` refuses (undefined decision,
 * the gateway answers 503). The outage is logged once when it starts and once when it ends.
 *
 * An address found over its failure budget is also remembered in process until its budget
 * refills, so the gateway refuses its credentials before checking them (`blockedFor`):
 * no identity call, no Redis call, no cache entry for a guessed key.
 */
export class RateLimiter {
  readonly #options: RateLimiterOptions;
  readonly #now: () => number;
  readonly #local = new LRUCache<string, number>({ max: 100_000 });
  readonly #blocked = new LRUCache<string, number>({ max: 100_000 });
  readonly #leases: RateLeases;
  #degraded = false;

  constructor(
    private readonly redis: Redis | undefined,
    options: RateLimiterOptions,
  ) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#leases = new RateLeases({ ttlMs: options.lease.ttlMs, now: this.#now });
  }

  /** Whether Redis answered the last check (false during an outage). */
  get healthy(): boolean {
    return !this.#degraded && (this.redis?.isReady ?? false);
  }

  get failMode(): FailMode {
    return this.#options.failMode;
  }

  limitOf(routeClass: RouteClass): Limit {
    return this.#options.limits[routeClass];
  }

  /** Counts one request; undefined means "no decision" (Redis down in open or closed mode). */
  async check(request: LimitCheck): Promise<Decision | undefined> {
    const limit = this.#options.limits[request.routeClass];
    const keys = request.buckets.map((bucket) => this.#key(request.routeClass, bucket));
    const guard = request.guard === undefined ? undefined : this.#failureKey(request.guard);
    // Leases only for one bucket: a request charged to several (a login) is checked exactly.
    const maxLease = Math.min(this.#options.lease.maxSize, Math.floor(limit.requests / 20));
    const decision =
      keys.length === 1 && maxLease > 1
        ? await this.#leases.admit(`${keys[0]}\0${guard ?? ""}`, maxLease, (size) =>
            this.#decide(keys, limit, guard, size),
          )
        : await this.#decide(keys, limit, guard);
    if (decision?.overFailureBudget) this.#block(request.guard!, decision.retryAfterMs);
    return decision;
  }

  /** Counts a failed authentication from `address`; a refusal means its budget is used up. */
  async countFailure(address: string): Promise<Decision | undefined> {
    const decision = await this.#decide([this.#failureKey(address)], this.#options.failureBudget);
    if (decision && !decision.allowed) this.#block(address, decision.retryAfterMs);
    return decision;
  }

  /** Milliseconds this replica knows `address` must wait before presenting credentials again (0: none). */
  blockedFor(address: string): number {
    const until = this.#blocked.get(address);
    return until === undefined ? 0 : Math.max(0, until - this.#now());
  }

  #block(address: string, ms: number): void {
    if (ms > 0) this.#blocked.set(address, this.#now() + ms, { ttl: ms });
  }

  #key = (routeClass: RouteClass, bucket: string) => `${this.#options.keyPrefix}rl:${routeClass}:${bucket}`;
  #failureKey = (address: string) => `${this.#options.keyPrefix}rl:failures:${address}`;

  /** `wanted` requests at once (a lease), of which the decision says how many were granted. */
  async #decide(
    keys: string[],
    limit: Limit,
    guard?: string,
    wanted = 1,
  ): Promise<(Decision & { granted: number }) | undefined> {
    try {
      if (!this.redis?.isReady) throw new Error("Redis is not connected");
      const decision = await this.#remote(keys, limit, guard, wanted);
      if (this.#degraded) {
        this.#degraded = false;
        this.#options.logger.info("rate limiting back on Redis");
      }
      return decision;
    } catch (err) {
      if (!this.#degraded) {
        this.#degraded = true;
        this.#options.logger.warn(
          { err: (err as Error).message, failMode: this.#options.failMode },
          `Redis unavailable for rate limiting; fail mode ${this.#options.failMode}`,
        );
      }
      if (this.#options.failMode !== "local") return undefined;
      return this.#inProcess(keys, limit, guard);
    }
  }

  #inProcess(keys: string[], limit: Limit, guard?: string): Decision & { granted: number } {
    const now = this.#now();
    const refused = guard && guardRefusal(this.#local.get(guard), now, this.#options.failureBudget);
    if (refused) return { ...refused, granted: 0 };
    const decision = gcra(
      keys.map((key) => this.#local.get(key)),
      now,
      limit,
    );
    if (decision.allowed) for (const [i, key] of keys.entries()) this.#local.set(key, decision.tatsMs[i]!);
    return { ...decision, granted: decision.allowed ? 1 : 0 };
  }

  async #remote(
    keys: string[],
    limit: Limit,
    guard: string | undefined,
    wanted: number,
  ): Promise<Decision & { granted: number }> {
    const budget = this.#options.failureBudget;
    const reply = (await withTimeout(
      runGcra(this.redis!, guard ? [...keys, guard] : keys, [
        (limit.windowSeconds * 1000) / limit.requests,
        limit.windowSeconds * 1000,
        guard ? (budget.windowSeconds * 1000) / budget.requests : 0,
        budget.windowSeconds * 1000,
        wanted,
      ]),
      this.#options.redisTimeoutMs,
    )) as number[];
    const [allowed, remaining = 0, retryAfterMs = 0, resetMs = 0, guarded, granted = 0] = reply.map(Number);
    return {
      allowed: allowed === 1,
      limit: guarded === 1 ? budget : limit,
      remaining,
      retryAfterMs,
      resetMs,
      overFailureBudget: guarded === 1,
      granted,
    };
  }
}

/** Rejects when `work` takes longer than `ms`: a hung Redis counts as a down one. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The response headers of a decision: the IETF RateLimit and RateLimit-Policy fields
 * (draft-ietf-httpapi-ratelimit-headers), the older RateLimit-Limit/-Remaining/-Reset
 * trio many clients still read, and Retry-After when refused.
 */
export function rateLimitHeaders(routeClass: RouteClass, decision: Decision): Record<string, string> {
  const { requests, windowSeconds } = decision.limit;
  const reset = Math.ceil(decision.resetMs / 1000);
  const headers: Record<string, string> = {
    "RateLimit-Policy": `"${routeClass}";q=${requests};w=${windowSeconds}`,
    RateLimit: `"${routeClass}";r=${decision.remaining};t=${reset}`,
    "RateLimit-Limit": String(requests),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(reset),
  };
  if (!decision.allowed)
    headers["Retry-After"] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  return headers;
}
