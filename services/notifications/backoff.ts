export interface RetryPolicy {
  /** The ceiling of the first retry's delay. */
  readonly baseMs: number;
  /** The largest ceiling any retry's delay can have. */
  readonly capMs: number;
}

/**
 * The wait before the next attempt after `attempts` failed ones: exponential backoff with
 * full jitter, a uniform draw from [0, min(cap, base * 2^(attempts - 1))). The jitter
 * spreads retries to a receiver that came back up, instead of all arriving at once.
 */
export function retryDelayMs(attempts: number, policy: RetryPolicy, random: () => number = Math.random) {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.floor(random() * ceiling);
}
