/** Latency percentiles and medians: the arithmetic every scenario reports with. */

export interface Latency {
  /** Milliseconds. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The p-th percentile by nearest rank: the smallest value with at least p% of the values
 * at or below it (what HdrHistogram and wrk report). `sorted` must be ascending.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** p50, p95, p99 and max of raw latencies in milliseconds (the array is sorted in place). */
export function latencyOf(values: Float64Array): Latency {
  values.sort();
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? values[values.length - 1]! : Number.NaN,
  };
}

/** The median; the mean of the middle two for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A growable list of latencies without a JavaScript array's per-element cost. */
export class LatencyRecorder {
  #values = new Float64Array(1 << 16);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ms;
  }

  /** Forgets what was recorded (the end of a warm-up). */
  reset(): void {
    this.#count = 0;
  }

  summary(): Latency {
    return latencyOf(this.#values.subarray(0, this.#count));
  }
}
