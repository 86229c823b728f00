/**
 * The arithmetic of an experiment, pure: failed requests per kind, latency percentiles in a
 * window, and the time to recover. Times are epoch milliseconds.
 */
import { percentile } from "../bench/stats.js";

/** What the load sends: product reads and searches (reads), sign-ups and orders (writes). */
export const requestKinds = ["read", "search", "signup", "order"] as const;
export type RequestKind = (typeof requestKinds)[number];

export const isWrite = (kind: RequestKind) => kind === "signup" || kind === "order";

/** One HTTP attempt: a read has one, a write as many as it took (the same key each time). */
export interface Attempt {
  readonly kind: RequestKind;
  readonly start: number;
  readonly ms: number;
  readonly ok: boolean;
  /** The HTTP status, 0 when no answer came (refused, reset, timed out). */
  readonly status: number;
  /** No answer within the attempt's timeout (the gateway's deadline for the route plus 1 s). */
  readonly timedOut: boolean;
}

/** A client request's final outcome, after every attempt it was allowed. */
export interface Outcome {
  readonly kind: RequestKind;
  /** When the open loop sent it (its latency counts from here, retries included). */
  readonly due: number;
  readonly end: number;
  readonly ok: boolean;
  readonly attempts: number;
  /** The last attempt's status (0: no answer). */
  readonly status: number;
  /** The last answer was `application/problem+json`. */
  readonly problem: boolean;
}

export interface KindCount {
  readonly sent: number;
  readonly failed: number;
}

/** Requests sent and failed (finally, after retries), by kind; `excluded` ones are not counted. */
export function failuresByKind(
  outcomes: readonly Outcome[],
  excluded: (o: Outcome) => boolean = () => false,
): Record<RequestKind, KindCount> {
  const counts = Object.fromEntries(requestKinds.map((k) => [k, { sent: 0, failed: 0 }])) as Record<
    RequestKind,
    { sent: number; failed: number }
  >;
  for (const o of outcomes) {
    if (excluded(o)) continue;
    counts[o.kind].sent++;
    if (!o.ok) counts[o.kind].failed++;
  }
  return counts;
}

/** The p-th percentile (nearest rank) of the outcomes' latencies due in [from, to), in ms. */
export function latencyPercentile(
  outcomes: readonly Outcome[],
  kinds: readonly RequestKind[],
  from: number,
  to: number,
  p = 99,
): number {
  const values = outcomes
    .filter((o) => kinds.includes(o.kind) && o.due >= from && o.due < to)
    .map((o) => o.end - o.due)
    .sort((a, b) => a - b);
  return percentile(values, p);
}

/** Normal latency per kind: `factor` times its p99 before the fault, and never under `floorMs`. */
export function normalLatency(
  baseline: readonly Attempt[],
  floorMs: Readonly<Record<RequestKind, number>>,
  factor = 3,
): Record<RequestKind, number> {
  return Object.fromEntries(
    requestKinds.map((kind) => {
      const values = baseline
        .filter((a) => a.kind === kind && a.ok)
        .map((a) => a.ms)
        .sort((a, b) => a - b);
      const p99 = values.length > 0 ? percentile(values, 99) : 0;
      return [kind, Math.max(floorMs[kind], factor * p99)];
    }),
  ) as Record<RequestKind, number>;
}

export interface RecoveryRule {
  /** How long a run of healthy attempts must last. */
  readonly windowMs: number;
  /** The fewest attempts that window must hold to count. */
  readonly minAttempts: number;
  /** The latency above which an attempt is not normal, by kind. */
  readonly normalMs: Readonly<Record<RequestKind, number>>;
}

/**
 * Milliseconds from `healAt` to the first moment after which every attempt started within
 * `windowMs` succeeded at normal latency (at least `minAttempts` of them), or undefined
 * when no such window began before the last attempt. 0 when the first window after the
 * heal was already healthy.
 */
export function recoveryMs(
  attempts: readonly Attempt[],
  healAt: number,
  rule: RecoveryRule,
): number | undefined {
  const after = attempts.filter((a) => a.start >= healAt).sort((a, b) => a.start - b.start);
  const healthy = (a: Attempt) => a.ok && a.ms <= rule.normalMs[a.kind];
  // Each unhealthy attempt pushes the candidate start past itself.
  let candidate = healAt;
  let i = 0;
  while (i < after.length) {
    const windowEnd = candidate + rule.windowMs;
    let count = 0;
    let bad: Attempt | undefined;
    let j = i;
    for (; j < after.length && after[j]!.start < windowEnd; j++) {
      if (after[j]!.start < candidate) continue;
      if (!healthy(after[j]!)) bad = after[j];
      else count++;
    }
    if (bad === undefined) {
      // The window must be whole: an attempt at or after its end shows the load ran past it.
      if (count >= rule.minAttempts && j < after.length) return candidate - healAt;
      if (j >= after.length) return undefined;
      candidate = after[j]!.start;
      i = j;
      continue;
    }
    candidate = bad.start + 1;
    i = after.findIndex((a) => a.start >= candidate);
    if (i < 0) return undefined;
  }
  return undefined;
}
