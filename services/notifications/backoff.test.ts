import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./backoff.js";

const policy = { baseMs: 500, capMs: 60_000 };

describe("retry backoff with full jitter", () => {
  it("draws from [0, base * 2^(attempts-1)): the ceiling doubles with each failure", () => {
    const ceiling = (attempts: number) => retryDelayMs(attempts, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5].map(ceiling)).toEqual([499, 999, 1999, 3999, 7999]);
  });

  it("never exceeds the cap, however many attempts failed", () => {
    expect(retryDelayMs(8, policy, () => 0.999999)).toBe(59_999);
    expect(retryDelayMs(1000, policy, () => 0.999999)).toBe(59_999);
  });

  it("can be as short as zero (full jitter, not equal jitter)", () => {
    expect(retryDelayMs(5, policy, () => 0)).toBe(0);
  });

  it("stays within bounds for real random draws", () => {
    for (let attempts = 1; attempts <= 12; attempts++) {
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempts - 1));
      for (let i = 0; i < 200; i++) {
        const delay = retryDelayMs(attempts, policy);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });
});
