import { chainHash, genesisHash } from "./chain.js";
import type { PublishedHead } from "./head.js";
import type { StoredEvent } from "./store.js";

/** The first place the chain does not hold, and why. */
export interface ChainBreak {
  readonly sequence: string;
  /** Starts with "previous-hash mismatch" (a row removed, inserted or re-linked) or "hash mismatch" (a row changed). */
  readonly reason: string;
}

export interface ChainVerdict {
  readonly valid: boolean;
  readonly eventsChecked: number;
  readonly firstBreak: ChainBreak | undefined;
}

/**
 * Checks events in chain order, one at a time, against the chain's two rules: each names
 * its predecessor's stored hash (the first names the genesis value), and each stored hash
 * is the hash recomputed from its fields. Stops at the first break.
 */
export class ChainVerifier {
  #expectedPrevious = genesisHash;
  #checked = 0;
  #break: ChainBreak | undefined;
  #publishedSeen = false;

  /** `published`: the last head audit published; the stored chain must still hold it. */
  constructor(private readonly published?: Pick<PublishedHead, "sequence" | "hash" | "publishedAt">) {}

  /** Checks the next event; false once the chain is broken (later events are not checked). */
  check(event: StoredEvent): boolean {
    if (this.#break) return false;
    this.#checked++;
    if (event.previousHash !== this.#expectedPrevious) {
      this.#break = {
        sequence: event.sequence,
        reason: `previous-hash mismatch: the event before holds ${this.#expectedPrevious}, this one names ${event.previousHash}`,
      };
      return false;
    }
    const recomputed = chainHash(event.previousHash, event);
    if (recomputed !== event.hash) {
      this.#break = {
        sequence: event.sequence,
        reason: `hash mismatch: the stored fields hash to ${recomputed}, the stored hash is ${event.hash}`,
      };
      return false;
    }
    if (this.published && event.sequence === this.published.sequence) {
      this.#publishedSeen = true;
      if (event.hash !== this.published.hash) {
        this.#break = {
          sequence: event.sequence,
          reason: `published-head mismatch: the head published at ${this.published.publishedAt} is ${this.published.hash}, the stored chain has ${event.hash} there`,
        };
        return false;
      }
    }
    this.#expectedPrevious = event.hash;
    return true;
  }

  get verdict(): ChainVerdict {
    const missing =
      !this.#break && this.published && !this.#publishedSeen
        ? {
            sequence: this.published.sequence,
            reason: `published-head missing: the head published at ${this.published.publishedAt} (${this.published.hash}) is not in the stored chain`,
          }
        : undefined;
    const firstBreak = this.#break ?? missing;
    return { valid: !firstBreak, eventsChecked: this.#checked, firstBreak };
  }
}

/**
 * Verifies a whole chain read in order (e.g. store.chainFrom), and that it still holds the
 * `published` head if one is given; stops early when `signal` aborts.
 */
export async function verifyChain(
  events: AsyncIterable<StoredEvent>,
  signal?: AbortSignal,
  published?: PublishedHead,
): Promise<ChainVerdict> {
  const verifier = new ChainVerifier(published);
  for await (const event of events) {
    signal?.throwIfAborted();
    if (!verifier.check(event)) break;
  }
  return verifier.verdict;
}
