import { describe, expect, it } from "vitest";
import {
  type Attempt,
  failuresByKind,
  latencyPercentile,
  normalLatency,
  type Outcome,
  type RequestKind,
  recoveryMs,
} from "./measure.js";

const attempt = (start: number, ok = true, ms = 10, kind: RequestKind = "read"): Attempt => ({
  kind,
  start,
  ms,
  ok,
  status: ok ? 200 : 503,
  timedOut: false,
});

const outcome = (due: number, latency: number, ok = true, kind: RequestKind = "read"): Outcome => ({
  kind,
  due,
  end: due + latency,
  ok,
  attempts: 1,
  status: ok ? 200 : 503,
  problem: !ok,
});

/** Attempts every 100 ms from `from` to `to`, failing inside [badFrom, badTo). */
function steady(from: number, to: number, badFrom = 0, badTo = 0): Attempt[] {
  const attempts: Attempt[] = [];
  for (let t = from; t < to; t += 100) attempts.push(attempt(t, !(t >= badFrom && t < badTo)));
  return attempts;
}

const rule = {
  windowMs: 1_000,
  minAttempts: 5,
  normalMs: { read: 100, search: 100, signup: 1_000, order: 1_000 },
};

describe("time to recover", () => {
  it("is 0 when the requests after the heal were healthy from the start", () => {
    expect(recoveryMs(steady(0, 5_000), 2_000, rule)).toBe(0);
  });

  it("starts just after the last failure of the first healthy window", () => {
    expect(recoveryMs(steady(0, 10_000, 1_000, 3_500), 2_000, rule)).toBe(1_401);
  });

  it("does not count slow successes as recovered", () => {
    const attempts = steady(0, 6_000).map((a) => (a.start < 3_000 ? { ...a, ms: 500 } : a));
    expect(recoveryMs(attempts, 1_000, rule)).toBe(1_901);
  });

  it("is undefined when the load ends before a whole healthy window", () => {
    expect(recoveryMs(steady(0, 4_000, 0, 3_500), 1_000, rule)).toBeUndefined();
  });

  it("needs enough requests in the window", () => {
    const sparse = [attempt(1_000), attempt(1_900), attempt(2_800), attempt(3_700)];
    expect(recoveryMs(sparse, 1_000, rule)).toBeUndefined();
  });
});

describe("failures and latency", () => {
  it("counts final failures per kind, leaving out the expected ones", () => {
    const outcomes = [
      outcome(0, 5),
      outcome(10, 5, false),
      outcome(20, 5, false, "search"),
      outcome(30, 50, true, "order"),
    ];
    const counts = failuresByKind(outcomes, (o) => o.kind === "search");
    expect(counts).toEqual({
      read: { sent: 2, failed: 1 },
      search: { sent: 0, failed: 0 },
      signup: { sent: 0, failed: 0 },
      order: { sent: 1, failed: 0 },
    });
  });

  it("takes the p99 of the requests sent in the window only, retries included", () => {
    const outcomes = [...Array.from({ length: 99 }, (_, i) => outcome(100 + i, 10)), outcome(150, 900)];
    expect(latencyPercentile(outcomes, ["read"], 100, 200)).toBe(10);
    expect(latencyPercentile(outcomes, ["read"], 100, 200, 100)).toBe(900);
    expect(latencyPercentile([...outcomes, outcome(300, 5_000)], ["read"], 100, 200, 100)).toBe(900);
    expect(latencyPercentile(outcomes, ["order"], 100, 200)).toBeNaN();
  });

  it("calls normal three times the baseline p99, never under the floor", () => {
    const baseline = [
      ...Array.from({ length: 100 }, (_, i) => attempt(i, true, i < 99 ? 20 : 40)),
      attempt(0, true, 200, "order"),
    ];
    const floor = { read: 50, search: 50, signup: 1_000, order: 100 };
    expect(normalLatency(baseline, floor)).toEqual({ read: 60, search: 50, signup: 1_000, order: 600 });
  });
});
