import type { KeyObject } from "node:crypto";
import type { Logger } from "../runtime/logger.js";
import type { Queryable } from "../runtime/postgres.js";
import { WakeableSleep } from "../runtime/wakeable-sleep.js";
import { chainHead, headSignedBy, type PublishedHead, signHead } from "./head.js";
import type { HeadStore } from "./head-store.js";

export interface HeadKey {
  readonly privateKey: KeyObject;
  /** base64url, as published. */
  readonly publicKey: string;
  /** The same key, to check what the store returns. */
  readonly verifier: KeyObject;
}

/**
 * Publishes the chain's head every `intervalMs`, when it moved: what a later rewrite of
 * the stored chain is caught against. Every replica publishes; a head already stored (by
 * another replica, or before a restart) is left as it is. A failure is logged and tried
 * again next round: publishing never holds up appends.
 */
export class HeadPublisher {
  readonly #sleep = new WakeableSleep();
  #last: string | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly store: HeadStore,
    private readonly key: HeadKey,
    private readonly options: { readonly intervalMs: number; readonly logger: Logger },
  ) {}

  /** Publishes the current head unless it is the one published last; returns what is published. */
  async publishOnce(now = new Date()): Promise<PublishedHead | undefined> {
    const head = await chainHead(this.db);
    if (!head || head.hash === this.#last) return undefined;
    const signed = signHead(head, this.key, now);
    await this.store.publish(signed);
    this.#last = head.hash;
    return signed;
  }

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        await this.publishOnce().catch((err: unknown) =>
          this.options.logger.warn({ err: (err as Error).message }, "chain head not published; retrying"),
        );
        await this.#sleep.sleep(this.options.intervalMs);
      }
    })();
  }

  /** Stops after publishing the head once more (what was appended until shutdown). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#sleep.wake();
    await this.#loop;
    await this.publishOnce().catch(() => undefined);
  }
}

/** The newest published head, if its signature is audit's; `problem` says why one cannot be trusted. */
export async function latestPublishedHead(
  store: HeadStore,
  verifier: KeyObject,
): Promise<{ readonly head?: PublishedHead; readonly problem?: string }> {
  const head = await store.latest();
  if (!head) return {};
  if (!headSignedBy(head, verifier))
    return {
      problem: `published-head signature invalid: the head published for sequence ${head.sequence} is not signed by audit's head key`,
    };
  return { head };
}
