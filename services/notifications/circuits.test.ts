import { describe, expect, it } from "vitest";
import { type Circuit, nextCircuit } from "./circuits.js";

const policy = { failureThreshold: 3, cooldownMs: 30_000 };
const now = new Date("2026-12-01T12:00:00Z");
const failed = { error: "no response within 5000 ms" };

/** The circuit after `n` failed attempts in a row, from healthy. */
const afterFailures = (n: number) =>
  Array.from({ length: n }).reduce<Circuit | undefined>(
    (c) => nextCircuit(c, failed, policy, now),
    undefined,
  );

describe("an endpoint's circuit", () => {
  it("stays closed below the threshold, counting consecutive failures", () => {
    expect(afterFailures(2)).toEqual({
      state: "closed",
      failures: 2,
      lastError: failed.error,
      retryAt: undefined,
    });
  });

  it("opens at the threshold, with a probe after the cool-down", () => {
    expect(afterFailures(3)).toEqual({
      state: "open",
      failures: 3,
      lastError: failed.error,
      retryAt: new Date("2026-12-01T12:00:30Z"),
    });
  });

  it("forgets the failures after one success", () => {
    expect(nextCircuit(afterFailures(2), {}, policy, now)).toBeUndefined();
  });

  it("closes when the probe succeeds, and waits another cool-down when it fails", () => {
    const open = afterFailures(3);
    expect(nextCircuit(open, {}, policy, now)).toBeUndefined();
    const later = new Date(now.getTime() + 31_000);
    expect(nextCircuit(open, { error: "HTTP 503" }, policy, later)).toMatchObject({
      state: "open",
      failures: 4,
      lastError: "HTTP 503",
      retryAt: new Date(later.getTime() + 30_000),
    });
  });
});
