import { describe, expect, it } from "vitest";
import { gcra, guardRefusal, type Limit } from "./gcra.js";

const perMinute = (requests: number): Limit => ({ requests, windowSeconds: 60 });

/** Runs n requests at `now` through the in-process GCRA, carrying its state. */
function burst(limit: Limit, n: number, now: number, tat?: number) {
  const decisions = [];
  for (let i = 0; i < n; i++) {
    const d = gcra([tat], now, limit);
    if (d.allowed) tat = d.tatsMs[0];
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

describe("GCRA over several buckets", () => {
  it("charges a request to every bucket when each allows it", () => {
    const decision = gcra([undefined, 12_000], 0, perMinute(5));
    expect([decision.allowed, decision.tatsMs]).toEqual([true, [12_000, 24_000]]);
  });

  it("refuses when any bucket refuses, and then charges none", () => {
    const { tat: full } = burst(perMinute(5), 5, 0);
    const decision = gcra([undefined, full], 0, perMinute(5));
    expect([decision.allowed, decision.retryAfterMs]).toEqual([false, 12_000]);
  });

  it("reports the least remaining of the buckets", () => {
    expect(gcra([undefined, 36_000], 0, perMinute(5)).remaining).toBe(1);
  });
});

describe("the failure-budget guard", () => {
  it("refuses once one more failure would be over the budget, until it would fit again", () => {
    const { tat } = burst(perMinute(3), 3, 0);
    expect(guardRefusal(tat, 0, perMinute(3))).toMatchObject({
      overFailureBudget: true,
      retryAfterMs: 20_000,
    });
    expect(guardRefusal(tat, 20_000, perMinute(3))).toBeUndefined();
  });
});
