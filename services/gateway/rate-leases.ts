import { LRUCache } from "lru-cache";
import type { Decision } from "./gcra.js";

/**
 * A replica's leases on busy rate-limit buckets, so that a busy client does not cost a
 * Redis round trip per request. A lease is requests taken from the bucket in Redis ahead of
 * use, in one GCRA call: the bucket moves on by all of them at once, so every replica
 * together still never admits more than the limit. What a lease costs instead is fairness
 * at the edge of the limit: requests leased and not used within `ttlMs` are lost, so a
 * client may get up to (size - 1) fewer requests per replica per lease than its limit.
 *
 * Sizes adapt per bucket: the first lease is one request (exactly today's check), and a
 * lease used up before it expires makes the next one twice as big, up to `maxSize`; one that
 * expires unused makes it half. A quiet client therefore pays one round trip per request
 * and loses nothing; a busy one pays one per `maxSize` requests.
 *
 * A refusal is remembered until its retry time: no request of that bucket can be admitted
 * before then on any replica (GCRA only moves forward), so the replica answers it alone.
 */
export class RateLeases {
  readonly #leases: LRUCache<string, Lease>;
  readonly #refusals: LRUCache<string, RememberedRefusal>;
  /** Leases being taken, so concurrent requests of one bucket share one round trip. */
  readonly #taking = new Map<string, Promise<Decision | undefined>>();

  constructor(
    private readonly options: {
      readonly ttlMs: number;
      readonly now: () => number;
    },
  ) {
    this.#leases = new LRUCache({ max: 50_000 });
    this.#refusals = new LRUCache({ max: 50_000 });
  }

  /**
   * Admits one request of `key` from a lease, or asks `take(size)` for a new lease (shared
   * by the requests that arrive meanwhile). Undefined when `take` reached no decision.
   */
  async admit(
    key: string,
    maxSize: number,
    take: (size: number) => Promise<(Decision & { granted: number }) | undefined>,
  ): Promise<Decision | undefined> {
    for (;;) {
      const now = this.options.now();
      const refused = this.#refusals.get(key);
      if (refused && now < refused.resetAt) return { ...refused, retryAfterMs: refused.resetAt - now };
      const lease = this.#leases.get(key);
      if (lease && lease.left > 0 && now < lease.expiresAt) {
        lease.left--;
        return { ...lease.decision, remaining: lease.decision.remaining + lease.left };
      }
      const pending = this.#taking.get(key);
      if (pending) {
        const decision = await pending;
        // The shared lease may be used up by the others already: take the next one then.
        if (decision?.allowed) continue;
        return decision;
      }
      return this.#take(key, maxSize, lease, take);
    }
  }

  async #take(
    key: string,
    maxSize: number,
    previous: Lease | undefined,
    take: (size: number) => Promise<(Decision & { granted: number }) | undefined>,
  ): Promise<Decision | undefined> {
    const size = nextSize(previous, this.options.now(), maxSize);
    const taking = take(size).then((decision) => {
      const now = this.options.now();
      if (decision && !decision.allowed && !decision.overFailureBudget)
        this.#refusals.set(
          key,
          { ...decision, resetAt: now + decision.retryAfterMs },
          { ttl: Math.max(1, decision.retryAfterMs) },
        );
      if (decision?.allowed)
        this.#leases.set(key, {
          size,
          left: decision.granted,
          expiresAt: now + this.options.ttlMs,
          decision,
        });
      return decision;
    });
    this.#taking.set(key, taking);
    try {
      const decision = await taking;
      if (!decision?.allowed) return decision;
      // This request takes the first of the new lease.
      const lease = this.#leases.get(key)!;
      lease.left--;
      return { ...decision, remaining: decision.remaining + lease.left };
    } finally {
      this.#taking.delete(key);
    }
  }
}

interface Lease {
  readonly size: number;
  /** Requests of the lease not admitted yet. */
  left: number;
  readonly expiresAt: number;
  readonly decision: Decision;
}

type RememberedRefusal = Decision & { readonly resetAt: number };

/** Twice the last lease when it was used up in time, half when it expired unused, 1 at first. */
export function nextSize(
  previous: { size: number; left: number; expiresAt: number } | undefined,
  now: number,
  maxSize: number,
): number {
  if (!previous) return 1;
  const usedUp = previous.left === 0 && now < previous.expiresAt;
  const size = usedUp ? previous.size * 2 : Math.floor(previous.size / 2);
  return Math.min(maxSize, Math.max(1, size));
}
