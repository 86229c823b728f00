import { describe, expect, it } from "vitest";
import { LatencyRecorder, latencyOf, median, percentile } from "./stats.js";

describe("percentile", () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);

  it("is the smallest value with at least p% of the values at or below it (nearest rank)", () => {
    expect([percentile(hundred, 50), percentile(hundred, 95), percentile(hundred, 99)]).toEqual([50, 95, 99]);
  });

  it("rounds the rank up, so a p99 of ten values is the largest", () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });

  it("gives the minimum at p0 and NaN for no values", () => {
    expect(percentile([3, 4], 0)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("latencyOf", () => {
  it("sorts the raw values before taking percentiles", () => {
    const latency = latencyOf(Float64Array.from([5, 1, 4, 2, 3]));
    expect(latency).toEqual({ p50: 3, p95: 5, p99: 5, max: 5 });
  });
});

describe("median", () => {
  it("is the middle value of an odd count and the mean of the middle two of an even one", () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("LatencyRecorder", () => {
  it("keeps every value past its initial capacity", () => {
    const recorder = new LatencyRecorder();
    for (let i = 1; i <= 200_000; i++) recorder.record(i);
    expect(recorder.count).toBe(200_000);
    expect(recorder.summary().p99).toBe(198_000);
  });

  it("forgets the warm-up on reset", () => {
    const recorder = new LatencyRecorder();
    for (const ms of [90, 80, 70]) recorder.record(ms);
    recorder.reset();
    recorder.record(2);
    expect(recorder.count).toBe(1);
    expect(recorder.summary().max).toBe(2);
  });
});
