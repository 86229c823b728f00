import { describe, expect, it } from "vitest";
import type { Decision } from "./gcra.js";
import { nextSize, RateLeases } from "./rate-leases.js";

const limit = { requests: 1_000, windowSeconds: 60 };

/** A bucket of `available` requests, as the GCRA script grants them: as many as fit, at most those asked. */
function bucket(available: number) {
  const calls: number[] = [];
  let left = available;
  const take = async (size: number): Promise<Decision & { granted: number }> => {
    calls.push(size);
    await Promise.resolve();
    const granted = Math.min(size, left);
    left -= granted;
    return granted > 0
      ? {
          allowed: true,
          limit,
          remaining: left,
          retryAfterMs: 0,
          resetMs: 1,
          overFailureBudget: false,
          granted,
        }
      : {
          allowed: false,
          limit,
          remaining: 0,
          retryAfterMs: 500,
          resetMs: 1,
          overFailureBudget: false,
          granted,
        };
  };
  return { take, calls, left: () => left };
}

describe("nextSize", () => {
  it("starts at one, doubles after a lease used up in time, halves after one that expired unused", () => {
    expect(nextSize(undefined, 0, 32)).toBe(1);
    expect(nextSize({ size: 4, left: 0, expiresAt: 100 }, 50, 32)).toBe(8);
    expect(nextSize({ size: 32, left: 0, expiresAt: 100 }, 50, 32)).toBe(32);
    expect(nextSize({ size: 8, left: 3, expiresAt: 100 }, 150, 32)).toBe(4);
    expect(nextSize({ size: 1, left: 1, expiresAt: 100 }, 150, 32)).toBe(1);
  });
});

describe("RateLeases", () => {
  it("admits a busy client's requests from leases, one round trip per lease, growing to the largest", async () => {
    let now = 0;
    const leases = new RateLeases({ ttlMs: 1_000, now: () => now });
    const redis = bucket(10_000);
    for (let i = 0; i < 100; i++) {
      const decision = await leases.admit("user:a", 16, redis.take);
      expect(decision?.allowed).toBe(true);
      now += 1;
    }
    expect(redis.calls.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 16]);
    // 100 requests: 1 + 2 + 4 + 8 + 16 * 5 = 95, and one more lease for the last 5.
    expect(redis.calls).toHaveLength(10);
    // Never more taken from the bucket than leased: what was admitted is what was taken, or less.
    expect(10_000 - redis.left()).toBeGreaterThanOrEqual(100);
    expect(10_000 - redis.left()).toBeLessThan(100 + 16);
  });

  it("shares one lease between concurrent requests instead of taking one each", async () => {
    const leases = new RateLeases({ ttlMs: 1_000, now: () => 0 });
    const redis = bucket(10_000);
    // Grow the lease first, then 8 requests at once take it together.
    for (let i = 0; i < 4; i++) await leases.admit("user:a", 8, redis.take);
    const before = redis.calls.length;
    const decisions = await Promise.all(
      Array.from({ length: 8 }, () => leases.admit("user:a", 8, redis.take)),
    );
    expect(decisions.every((d) => d?.allowed)).toBe(true);
    expect(redis.calls.length - before).toBeLessThanOrEqual(2);
  });

  it("never admits more than the bucket holds, whatever the concurrency", async () => {
    const leases = new RateLeases({ ttlMs: 1_000, now: () => 0 });
    const redis = bucket(37);
    const decisions = await Promise.all(
      Array.from({ length: 100 }, () => leases.admit("user:a", 16, redis.take)),
    );
    expect(decisions.filter((d) => d?.allowed)).toHaveLength(37);
  });

  it("remembers a refusal until its retry time, answering without a round trip", async () => {
    let now = 0;
    const leases = new RateLeases({ ttlMs: 1_000, now: () => now });
    const redis = bucket(0);
    expect((await leases.admit("user:a", 16, redis.take))?.allowed).toBe(false);
    now = 400;
    const again = await leases.admit("user:a", 16, redis.take);
    expect(again).toMatchObject({ allowed: false, retryAfterMs: 100 });
    expect(redis.calls).toHaveLength(1);
    now = 500;
    await leases.admit("user:a", 16, redis.take);
    expect(redis.calls).toHaveLength(2);
  });

  it("lets a lease lapse after its time: what is left unused is not admitted later", async () => {
    let now = 0;
    const leases = new RateLeases({ ttlMs: 1_000, now: () => now });
    const redis = bucket(10_000);
    for (let i = 0; i < 4; i++) await leases.admit("user:a", 8, redis.take); // leases of 1, 2, then 4 (1 used)
    const taken = redis.calls.length;
    now = 1_000;
    await leases.admit("user:a", 8, redis.take);
    expect(redis.calls.length).toBe(taken + 1);
    expect(redis.calls.at(-1)).toBe(2); // the expired lease of 4 halves the next
  });
});
