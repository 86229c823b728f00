import type { KeyObject } from "node:crypto";
import { ed25519Sign, ed25519Verify } from "../../contracts/ed25519.js";
import type { Queryable } from "../runtime/postgres.js";

/**
 * The chain's head as audit publishes it to write-once storage: the last event's sequence
 * and hash, signed with audit's Ed25519 head key. The head pins everything before it (each
 * hash covers its predecessor's), so a chain rewritten later, even one rewritten whole with
 * consistent hashes by a role that could disable the triggers, no longer holds it.
 */
export interface ChainHead {
  /** The last event's sequence, as a decimal string. */
  readonly sequence: string;
  readonly hash: string;
}

export interface PublishedHead extends ChainHead {
  /** When it was published, RFC 3339 UTC. */
  readonly publishedAt: string;
  /** The Ed25519 public key that signed it, base64url (a JWK's `x`), for auditors. */
  readonly publicKey: string;
  /** Ed25519 over `signedText(...)`, base64url. */
  readonly signature: string;
}

/** The exact bytes signed: a versioned, newline-separated text, so any tool can check it. */
export const signedText = (head: ChainHead & { readonly publishedAt: string }) =>
  ["platform.audit.head.v1", head.sequence, head.hash, head.publishedAt].join("\n");

export function signHead(
  head: ChainHead,
  key: { readonly privateKey: KeyObject; readonly publicKey: string },
  publishedAt: Date,
): PublishedHead {
  const unsigned = { sequence: head.sequence, hash: head.hash, publishedAt: publishedAt.toISOString() };
  return {
    ...unsigned,
    publicKey: key.publicKey,
    signature: ed25519Sign(key.privateKey, signedText(unsigned)).toString("base64url"),
  };
}

/** Whether `head` was signed by `publicKey`'s owner (its own `publicKey` field is not trusted). */
export function headSignedBy(head: PublishedHead, publicKey: KeyObject): boolean {
  return (
    /^\d+$/.test(head.sequence) &&
    /^[0-9a-f]{64}$/.test(head.hash) &&
    ed25519Verify(publicKey, signedText(head), Buffer.from(head.signature, "base64url"))
  );
}

/** The newest event's sequence and hash, or undefined while the chain is empty. */
export async function chainHead(db: Queryable): Promise<ChainHead | undefined> {
  const [head] = await db.query<ChainHead>(
    "SELECT sequence::text AS sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1",
  );
  return head;
}
