import { LRUCache } from "lru-cache";
import { z } from "zod";
import type { Logger } from "../runtime/logger.js";
import { luaScript, type Redis } from "../runtime/redis.js";

/** Route classes, each with its own limit per principal. */
export const routeClasses = ["auth", "read", "write"] as const;
export type RouteClass = (typeof routeClasses)[number];

export interface Limit {
  /** Requests allowed per window, all of them at once as a burst. */
  readonly requests: number;
  readonly windowSeconds: number;
}

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
  RATE_LIMIT_AUTH: limitSpec.prefault("20/60s").describe("per client, for signup, login and refresh"),
  RATE_LIMIT_READ: limitSpec.prefault("1200/60s").describe("per principal, for reads"),
  RATE_LIMIT_WRITE: limitSpec.prefault("120/60s").describe("per principal, for writes"),
  RATE_LIMIT_FAIL_MODE: z
    .enum(["local", "open", "closed"])
    .default("local")
    .describe("when Redis is down: local (in-process limits), open (no limits) or closed (503)"),
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(100)
    .describe("a rate-limit check slower than this counts as Redis being down"),
};

export type FailMode = "local" | "open" | "closed";

export interface Decision {
  readonly allowed: boolean;
  readonly limit: Limit;
  readonly remaining: number;
  /** Milliseconds until the next request would be allowed (0 when allowed). */
  readonly retryAfterMs: number;
  /** Milliseconds until the whole burst is available again. */
  readonly resetMs: number;
}

/**
 * GCRA (the generic cell rate algorithm) in one Lua script, so check-and-update is atomic
 * across every gateway replica, using Redis's clock so replicas' clocks do not matter. The
 * key holds one number, the theoretical arrival time (TAT) of the next request: each
 * request moves it one emission interval (window / requests) on; a request is refused when
 * that would put it more than a whole window ahead of now. So a principal may burst the
 * whole limit, then gets one request per interval, and the key expires when idle.
 *
 * KEYS[1] the principal and class; ARGV: interval ms, window ms.
 * Returns { allowed 0|1, remaining, retry after ms, reset ms }.
 */
export const gcraSource = `
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - window
if now < allow_at then
  return { 0, 0, math.ceil(allow_at - now), math.ceil(tat - now) }
end
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now))
return { 1, math.floor((window - (next_tat - now)) / interval), 0, math.ceil(next_tat - now) }
`;

/** The same algorithm in process, for the local fail mode and unit tests. */
export function gcra(tatMs: number | undefined, nowMs: number, limit: Limit): Decision & { tatMs: number } {
  const interval = (limit.windowSeconds * 1000) / limit.requests;
  const window = limit.windowSeconds * 1000;
  const tat = Math.max(tatMs ?? 0, nowMs);
  const next = tat + interval;
  if (nowMs < next - window)
    return {
      allowed: false,
      limit,
      remaining: 0,
      retryAfterMs: Math.ceil(next - window - nowMs),
      resetMs: Math.ceil(tat - nowMs),
      tatMs: tat,
    };
  return {
    allowed: true,
    limit,
    remaining: Math.floor((window - (next - nowMs)) / interval),
    retryAfterMs: 0,
    resetMs: Math.ceil(next - nowMs),
    tatMs: next,
  };
}

const runGcra = luaScript("gcra", gcraSource);

export interface RateLimiterOptions {
  readonly limits: Readonly<Record<RouteClass, Limit>>;
  readonly failMode: FailMode;
  readonly redisTimeoutMs: number;
  /** Prefix of the gateway's keys, e.g. "gateway:". */
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Per principal and route class limits. Redis decides for all replicas together; when it
 * fails or is slow, the fail mode decides: `local` limits in process (each replica alone,
 * so the effective limit is multiplied by the replica count for the outage), `open` lets
 * everything through, `closed` refuses (undefined decision, the gateway answers 503). The
 * outage is logged once when it starts and once when it ends.
 */
export class RateLimiter {
  readonly #options: RateLimiterOptions;
  readonly #now: () => number;
  readonly #local = new LRUCache<string, number>({ max: 100_000 });
  #degraded = false;

  constructor(
    private readonly redis: Redis | undefined,
    options: RateLimiterOptions,
  ) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
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
  async check(principalKey: string, routeClass: RouteClass): Promise<Decision | undefined> {
    const limit = this.#options.limits[routeClass];
    const key = `${this.#options.keyPrefix}rl:${routeClass}:${principalKey}`;
    try {
      if (!this.redis?.isReady) throw new Error("Redis is not connected");
      const decision = await this.#remote(key, limit);
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
      const decision = gcra(this.#local.get(key), this.#now(), limit);
      if (decision.allowed) this.#local.set(key, decision.tatMs);
      return decision;
    }
  }

  async #remote(key: string, limit: Limit): Promise<Decision> {
    const interval = (limit.windowSeconds * 1000) / limit.requests;
    const reply = (await withTimeout(
      runGcra(this.redis!, [key], [interval, limit.windowSeconds * 1000]),
      this.#options.redisTimeoutMs,
    )) as number[];
    const [allowed, remaining, retryAfterMs, resetMs] = reply.map(Number) as [number, number, number, number];
    return { allowed: allowed === 1, limit, remaining, retryAfterMs, resetMs };
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
