export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long it stays open before letting probes through. */
  readonly openMs: number;
  /** Calls allowed at once while half-open; one success closes, one failure reopens. */
  readonly halfOpenProbes: number;
  readonly now?: () => number;
  /** Told of every state change, for logs. */
  readonly onChange?: (from: BreakerState, to: BreakerState) => void;
}

/**
 * A circuit breaker for one upstream. Closed, it counts consecutive failures; at the
 * threshold it opens and refuses calls at once (no connection attempt, no deadline spent)
 * for `openMs`; then half-open, it lets `halfOpenProbes` calls through: a success closes
 * it, a failure opens it again. Only upstream health counts as failure (unavailable,
 * deadline, internal), never a business error such as NOT_FOUND.
 */
export class CircuitBreaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probes = 0;
  readonly #now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.#now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.options.openMs) {
      this.#move("half-open");
      this.#probes = 0;
    }
    return this.#state;
  }

  /** Whether a call may go ahead now; when it returns true, report the outcome once. */
  tryAcquire(): boolean {
    switch (this.state) {
      case "closed":
        return true;
      case "open":
        return false;
      case "half-open":
        if (this.#probes >= this.options.halfOpenProbes) return false;
        this.#probes++;
        return true;
    }
  }

  /** Milliseconds until an open circuit lets a probe through (0 when not open). */
  retryInMs(): number {
    return this.state === "open" ? Math.max(0, this.options.openMs - (this.#now() - this.#openedAt)) : 0;
  }

  success(): void {
    this.#failures = 0;
    if (this.#state === "half-open") {
      this.#probes = Math.max(0, this.#probes - 1);
      this.#move("closed");
    }
  }

  /** The call ended without telling anything about the upstream's health (the client went away). */
  release(): void {
    if (this.#state === "half-open") this.#probes = Math.max(0, this.#probes - 1);
  }

  failure(): void {
    if (this.#state === "half-open") this.#open();
    else if (this.#state === "closed" && ++this.#failures >= this.options.failureThreshold) this.#open();
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#failures = 0;
    this.#probes = 0;
    this.#move("open");
  }

  #move(to: BreakerState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.options.onChange?.(from, to);
  }
}
