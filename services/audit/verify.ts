import { chainHash, genesisHash } from "./chain.js";
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
    this.#expectedPrevious = event.hash;
    return true;
  }

  get verdict(): ChainVerdict {
    return { valid: !this.#break, eventsChecked: this.#checked, firstBreak: this.#break };
  }
}

/** Verifies a whole chain read in order (e.g. store.chainFrom); stops early when `signal` aborts. */
export async function verifyChain(
  events: AsyncIterable<StoredEvent>,
  signal?: AbortSignal,
): Promise<ChainVerdict> {
  const verifier = new ChainVerifier();
  for await (const event of events) {
    signal?.throwIfAborted();
    if (!verifier.check(event)) break;
  }
  return verifier.verdict;
}
