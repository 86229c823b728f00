import { describe, expect, it } from "vitest";
import { createLogger } from "../runtime/logger.js";
import type { Redis } from "../runtime/redis.js";
import { type FailMode, gcra, type Limit, RateLimiter, rateLimitHeaders } from "./rate-limit.js";

const perMinute = (requests: number): Limit => ({ requests, windowSeconds: 60 });

/** Runs n requests at `now` through the in-process GCRA, carrying its state. */
function burst(limit: Limit, n: number, now: number, tat?: number) {
  const decisions = [];
  for (let i = 0; i < n; i++) {
    const d = gcra(tat, now, limit);
    if (d.allowed) tat = d.tatMs;
    decisions.push(d);
  }
  return { decisions, tat };
}

describe("GCRA", () => {
  it("allows a whole window's worth at once, then refuses", () => {
    const { decisions } = burst(perMinute(5), 6, 0);
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
  });

  it("says when the next request will be allowed: one emission interval after the burst", () => {
    const { decisions } = burst(perMinute(5), 6, 0);
    expect(decisions[5]!.retryAfterMs).toBe(12_000);
  });

  it("refills one request per interval, not the whole window at once", () => {
    const { tat } = burst(perMinute(5), 5, 0);
    const later = burst(perMinute(5), 2, 12_000, tat);
    expect(later.decisions.map((d) => d.allowed)).toEqual([true, false]);
  });

  it("forgets an idle principal once a window has passed", () => {
    const { tat } = burst(perMinute(5), 5, 0);
    expect(burst(perMinute(5), 5, 60_000, tat).decisions.every((d) => d.allowed)).toBe(true);
  });

  it("reports when the full burst is available again", () => {
    const { decisions } = burst(perMinute(5), 2, 0);
    expect(decisions[1]!.resetMs).toBe(24_000);
  });
});

describe("rate-limit headers", () => {
  it("announce the policy and what is left, in the IETF and the older forms", () => {
    const headers = rateLimitHeaders("read", {
      allowed: true,
      limit: perMinute(600),
      remaining: 598,
      retryAfterMs: 0,
      resetMs: 1_500,
    });
    expect(headers).toEqual({
      "RateLimit-Policy": '"read";q=600;w=60',
      RateLimit: '"read";r=598;t=2',
      "RateLimit-Limit": "600",
      "RateLimit-Remaining": "598",
      "RateLimit-Reset": "2",
    });
  });

  it("add Retry-After in whole seconds, at least 1, when refused", () => {
    const headers = rateLimitHeaders("auth", {
      allowed: false,
      limit: perMinute(5),
      remaining: 0,
      retryAfterMs: 200,
      resetMs: 60_000,
    });
    expect(headers["Retry-After"]).toBe("1");
  });
});

describe("when Redis is down", () => {
  const redisDown = { isReady: false } as unknown as Redis;
  function limiter(failMode: FailMode) {
    const lines: string[] = [];
    const logger = createLogger("test", { level: "silent" });
    logger.warn = ((_: unknown, message: string) =>
      void lines.push(message)) as unknown as typeof logger.warn;
    const rl = new RateLimiter(redisDown, {
      limits: { auth: perMinute(2), read: perMinute(100), write: perMinute(100) },
      failMode,
      redisTimeoutMs: 50,
      keyPrefix: "gateway:",
      logger,
      now: () => 0,
    });
    return { rl, lines };
  }

  it("limits in process in the local fail mode", async () => {
    const { rl } = limiter("local");
    const allowed = [];
    for (let i = 0; i < 3; i++) allowed.push((await rl.check("ip:1", "auth"))?.allowed);
    expect(allowed).toEqual([true, true, false]);
  });

  it("logs the outage once, not per request", async () => {
    const { rl, lines } = limiter("local");
    for (let i = 0; i < 5; i++) await rl.check("ip:1", "read");
    expect(lines).toHaveLength(1);
  });

  it.each(["open", "closed"] as const)(
    "gives no decision in the %s fail mode (the gateway allows or refuses)",
    async (mode) => {
      const { rl } = limiter(mode);
      expect(await rl.check("ip:1", "auth")).toBeUndefined();
    },
  );

  it("keeps principals apart in the local fail mode", async () => {
    const { rl } = limiter("local");
    await rl.check("ip:1", "auth");
    await rl.check("ip:1", "auth");
    expect((await rl.check("ip:2", "auth"))?.allowed).toBe(true);
  });
});
