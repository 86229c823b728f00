import { describe, expect, it } from "vitest";
import { createLogger } from "../runtime/logger.js";
import type { Redis } from "../runtime/redis.js";
import type { Limit } from "./gcra.js";
import { type FailMode, RateLimiter, rateLimitHeaders } from "./rate-limit.js";

const perMinute = (requests: number): Limit => ({ requests, windowSeconds: 60 });

describe("rate-limit headers", () => {
  it("announce the policy and what is left, in the IETF and the older forms", () => {
    const headers = rateLimitHeaders("read", {
      allowed: true,
      limit: perMinute(600),
      remaining: 598,
      retryAfterMs: 0,
      resetMs: 1_500,
      overFailureBudget: false,
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
      overFailureBudget: false,
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
      failureBudget: perMinute(3),
      failMode,
      redisTimeoutMs: 50,
      lease: { maxSize: 32, ttlMs: 1_000 },
      keyPrefix: "gateway:",
      logger,
      now: () => 0,
    });
    return { rl, lines };
  }

  it("limits in process in the local fail mode", async () => {
    const { rl } = limiter("local");
    const allowed = [];
    for (let i = 0; i < 3; i++)
      allowed.push((await rl.check({ routeClass: "auth", buckets: ["ip:1"] }))?.allowed);
    expect(allowed).toEqual([true, true, false]);
  });

  it("logs the outage once, not per request", async () => {
    const { rl, lines } = limiter("local");
    for (let i = 0; i < 5; i++) await rl.check({ routeClass: "read", buckets: ["ip:1"] });
    expect(lines).toHaveLength(1);
  });

  it.each(["open", "closed"] as const)(
    "gives no decision in the %s fail mode (the gateway allows or refuses)",
    async (mode) => {
      const { rl } = limiter(mode);
      expect(await rl.check({ routeClass: "auth", buckets: ["ip:1"] })).toBeUndefined();
    },
  );

  it("keeps principals apart in the local fail mode", async () => {
    const { rl } = limiter("local");
    await rl.check({ routeClass: "auth", buckets: ["ip:1"] });
    await rl.check({ routeClass: "auth", buckets: ["ip:1"] });
    expect((await rl.check({ routeClass: "auth", buckets: ["ip:2"] }))?.allowed).toBe(true);
  });

  it("counts failed authentications per address, and remembers an address over its budget", async () => {
    const { rl } = limiter("local");
    const counted = [];
    for (let i = 0; i < 4; i++) counted.push((await rl.countFailure("ip:1"))?.allowed);
    expect(counted).toEqual([true, true, true, false]);
    expect(rl.blockedFor("ip:1")).toBe(20_000);
    expect(rl.blockedFor("ip:2")).toBe(0);
  });

  it("refuses a request guarded by an address over its failure budget, charging nothing", async () => {
    const { rl } = limiter("local");
    for (let i = 0; i < 4; i++) await rl.countFailure("ip:1");
    const guarded = await rl.check({ routeClass: "auth", buckets: ["user:7"], guard: "ip:1" });
    expect([guarded?.allowed, guarded?.overFailureBudget]).toEqual([false, true]);
    expect((await rl.check({ routeClass: "auth", buckets: ["user:7"], guard: "ip:2" }))?.remaining).toBe(1);
  });
});
