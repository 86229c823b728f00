import { describe, expect, it } from "vitest";
import { type BreakerState, CircuitBreaker } from "./breaker.js";

function breaker(options: { failureThreshold?: number; openMs?: number; halfOpenProbes?: number } = {}) {
  let now = 0;
  const changes: string[] = [];
  const b = new CircuitBreaker({
    failureThreshold: options.failureThreshold ?? 3,
    openMs: options.openMs ?? 1_000,
    halfOpenProbes: options.halfOpenProbes ?? 1,
    now: () => now,
    onChange: (from: BreakerState, to: BreakerState) => changes.push(`${from}->${to}`),
  });
  return { b, changes, advance: (ms: number) => (now += ms) };
}

const fail = (b: CircuitBreaker, times: number) => {
  for (let i = 0; i < times; i++) {
    expect(b.tryAcquire()).toBe(true);
    b.failure();
  }
};

describe("the circuit breaker", () => {
  it("stays closed below the failure threshold", () => {
    const { b } = breaker();
    fail(b, 2);
    expect(b.state).toBe("closed");
    expect(b.tryAcquire()).toBe(true);
  });

  it("opens at the threshold of consecutive failures and refuses calls at once", () => {
    const { b, changes } = breaker();
    fail(b, 3);
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    expect(changes).toEqual(["closed->open"]);
  });

  it("counts only consecutive failures: a success in between resets the count", () => {
    const { b } = breaker();
    fail(b, 2);
    b.tryAcquire();
    b.success();
    fail(b, 2);
    expect(b.state).toBe("closed");
  });

  it("turns half-open after the open period and lets exactly the configured probes through", () => {
    const { b, advance } = breaker({ halfOpenProbes: 2 });
    fail(b, 3);
    advance(999);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.state).toBe("half-open");
    expect([b.tryAcquire(), b.tryAcquire(), b.tryAcquire()]).toEqual([true, true, false]);
  });

  it("closes when a half-open probe succeeds", () => {
    const { b, advance, changes } = breaker();
    fail(b, 3);
    advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    b.success();
    expect(b.state).toBe("closed");
    expect(changes).toEqual(["closed->open", "open->half-open", "half-open->closed"]);
  });

  it("reopens for a whole period when a half-open probe fails", () => {
    const { b, advance } = breaker();
    fail(b, 3);
    advance(1_000);
    b.tryAcquire();
    b.failure();
    expect(b.state).toBe("open");
    advance(500);
    expect(b.retryInMs()).toBe(500);
    expect(b.tryAcquire()).toBe(false);
  });

  it("frees a probe slot when a probe ends without a verdict (the client went away)", () => {
    const { b, advance } = breaker();
    fail(b, 3);
    advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.release();
    expect(b.tryAcquire()).toBe(true);
  });
});
