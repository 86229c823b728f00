import { createHash } from "node:crypto";

/**
 * The audit trail's hash chain, exactly as services/audit/README.md defines it for an
 * auditor who recomputes it with other tools: each event's hash is the SHA-256 of the
 * canonical JSON (RFC 8785) of an array holding a version tag, the previous event's hash
 * and the stored fields in a fixed order.
 */

/** The previous hash of the first event. */
export const genesisHash = "0".repeat(64);
/** The first element of every hashed array: a new definition would get a new tag. */
export const chainVersion = "platform.audit.v1";

/** An event's stored fields, in the text forms the hash covers. */
export interface ChainedFields {
  /** The chain position, as a decimal string (exact for any bigint). */
  readonly sequence: string;
  readonly eventId: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly actor: string | null;
  readonly traceId: string | null;
  /** UTC with exactly six fractional digits (PostgreSQL's precision): 2025-01-02T03:04:05.123456Z. */
  readonly time: string;
  readonly recordedAt: string;
  /** The event's data as stored (any JSON value). */
  readonly data: unknown;
}

/**
 * RFC 8785 (JSON Canonicalization Scheme): no whitespace, object members sorted by key in
 * UTF-16 code units (JavaScript's default sort), strings and numbers as ECMAScript's
 * JSON.stringify writes them. Anything that is not a JSON value is refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`not a JSON number: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const members = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(",")}}`;
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}

/** The exact text that is hashed for one event. */
export function chainPreimage(previousHash: string, f: ChainedFields): string {
  return canonicalJson([
    chainVersion,
    previousHash,
    f.sequence,
    f.eventId,
    f.type,
    f.source,
    f.subject,
    f.entityType,
    f.entityId,
    f.actor,
    f.traceId,
    f.time,
    f.recordedAt,
    f.data,
  ]);
}

/** The event's hash: lowercase hex SHA-256 of the UTF-8 bytes of its preimage. */
export function chainHash(previousHash: string, fields: ChainedFields): string {
  return createHash("sha256").update(chainPreimage(previousHash, fields), "utf8").digest("hex");
}
