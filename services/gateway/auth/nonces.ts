import { LRUCache } from "lru-cache";
import type { Redis } from "../../runtime/redis.js";
import { HttpProblem } from "../problems.js";
import { type FailMode, withTimeout } from "../rate-limit.js";
import type { NonceStore } from "./signing.js";

/**
 * Signature nonces in Redis (SET NX EX), shared by every replica, so a replay is refused
 * wherever it lands. While Redis is down the rate limiter's fail mode applies: `closed`
 * refuses signed requests (503); otherwise nonces are kept in process, which still refuses
 * a replay to the same replica.
 */
export class RedisNonceStore implements NonceStore {
  readonly #local = new LRUCache<string, true>({ max: 200_000, ttlAutopurge: false });

  constructor(
    private readonly redis: Redis,
    private readonly options: {
      readonly keyPrefix: string;
      readonly failMode: FailMode;
      readonly timeoutMs: number;
      /** Told each time Redis cannot be used. */
      readonly onOutage: (err: unknown) => void;
    },
  ) {}

  async claim(nonce: string, ttlSeconds: number): Promise<boolean> {
    try {
      if (!this.redis.isReady) throw new Error("Redis is not connected");
      const reply = await withTimeout(
        this.redis.set(`${this.options.keyPrefix}nonce:${nonce}`, "1", { NX: true, EX: ttlSeconds }),
        this.options.timeoutMs,
      );
      return reply === "OK";
    } catch (err) {
      this.options.onOutage(err);
      if (this.options.failMode === "closed")
        throw new HttpProblem(
          "service-unavailable",
          "signed requests cannot be checked for replay right now; retry shortly",
          {},
          {
            "Retry-After": "1",
          },
        );
      if (this.#local.has(nonce)) return false;
      this.#local.set(nonce, true, { ttl: ttlSeconds * 1000 });
      return true;
    }
  }
}
