import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { HttpProblem } from "../problems.js";
import type { Principal } from "./principal.js";

/**
 * Signed requests for API-key clients (the scheme is documented, with a worked example, in
 * services/gateway/README.md). The canonical string is seven lines joined by "\n":
 *
 *   METHOD            upper case, e.g. POST
 *   PATH              each segment percent-decoded, then re-encoded (RFC 3986 unreserved kept)
 *   QUERY             name=value pairs, decoded ("+" is a space) and re-encoded alike, sorted, "&"-joined
 *   TIMESTAMP         X-Signature-Timestamp as sent: unix seconds
 *   NONCE             X-Signature-Nonce as sent, or empty
 *   IDEMPOTENCY-KEY   Idempotency-Key as sent, or empty: it decides whether a write is new
 *   BODY SHA-256      lower-case hex SHA-256 of the body bytes (of nothing, when there is no body)
 *
 * and X-Signature is base64url (no padding) HMAC-SHA256 over it with the key's signing key:
 * exactly 43 characters, the last one's two unused bits zero, so one signature has one
 * spelling (a lenient decoder accepts up to 8, each of which was once a fresh replay key).
 */
export const signatureHeaders = {
  keyId: "x-api-key-id",
  timestamp: "x-signature-timestamp",
  nonce: "x-signature-nonce",
  signature: "x-signature",
} as const;

/**
 * The request headers the signature covers: every header that changes what a request
 * means. Only Idempotency-Key does today (a new key makes a new order); a test keeps this
 * list equal to the header parameters of the OpenAPI document.
 */
export const signedHeaders = { idempotencyKey: "idempotency-key" } as const;

/** RFC 3986 encoding: everything but unreserved characters (A-Z a-z 0-9 - . _ ~) as %XX. */
const encode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const decode = (value: string) => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // not valid percent-encoding: signed as it stands
  }
};

export function canonicalPath(path: string): string {
  return path
    .split("/")
    .map((segment) => encode(decode(segment)))
    .join("/");
}

export function canonicalQuery(query: string): string {
  return query
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const at = part.indexOf("=");
      const [name, value] = at < 0 ? [part, ""] : [part.slice(0, at), part.slice(at + 1)];
      return [encode(decode(name.replaceAll("+", " "))), encode(decode(value.replaceAll("+", " ")))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

export interface SignedParts {
  readonly method: string;
  /** The request target as sent: path, and the query after "?" if any. */
  readonly target: string;
  readonly timestamp: string;
  readonly nonce?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly body?: string | Uint8Array | undefined;
}

export function canonicalString(parts: SignedParts): string {
  const at = parts.target.indexOf("?");
  const path = at < 0 ? parts.target : parts.target.slice(0, at);
  const query = at < 0 ? "" : parts.target.slice(at + 1);
  return [
    parts.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    parts.timestamp,
    parts.nonce ?? "",
    // HTTP drops a header value's surrounding spaces, so a signer's spaces must not count.
    (parts.idempotencyKey ?? "").trim(),
    createHash("sha256")
      .update(parts.body ?? "")
      .digest("hex"),
  ].join("\n");
}

const hmac = (signingKey: string, text: string) =>
  createHmac("sha256", Buffer.from(signingKey, "base64url")).update(text).digest();

/**
 * Signs a request as an API-key client must: returns the headers to add (Idempotency-Key
 * among them when given). `signingKey` is the base64url key identity issued with the API
 * key; `target` is the path and query sent.
 */
export function signRequest(
  request: Omit<SignedParts, "timestamp"> & {
    readonly keyId: string;
    readonly signingKey: string;
    /** Unix seconds; now by default. */
    readonly timestamp?: number;
  },
): Record<string, string> {
  const timestamp = String(request.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = hmac(request.signingKey, canonicalString({ ...request, timestamp })).toString(
    "base64url",
  );
  return {
    "X-Api-Key-Id": request.keyId,
    "X-Signature-Timestamp": timestamp,
    ...(request.nonce ? { "X-Signature-Nonce": request.nonce } : {}),
    ...(request.idempotencyKey ? { "Idempotency-Key": request.idempotencyKey } : {}),
    "X-Signature": signature,
  };
}

/** Why a signature was refused; the `reason` member of the problem document. */
export type SignatureReason =
  | "malformed-signature-headers"
  | "stale-timestamp"
  | "unknown-key"
  | "bad-signature"
  | "replayed";

export const rejectSignature = (reason: SignatureReason, detail: string) =>
  new HttpProblem("invalid-signature", detail, { reason });

export interface SigningKey {
  readonly keyId: string;
  readonly userId: string;
  readonly roles: readonly string[];
  /** base64url HMAC-SHA256 key. */
  readonly signingKey: string;
}

/** Remembers nonces for the replay window: true the first time a nonce is claimed. */
export interface NonceStore {
  claim(nonce: string, ttlSeconds: number): Promise<boolean>;
}

export interface SignatureVerifierOptions {
  readonly maxSkewSeconds: number;
  /** How long a fetched key (or "no such key") is trusted: a deleted key works this long at most. */
  readonly keyCacheSeconds: number;
  /** Keys kept (LRU); key ids found unknown are kept apart, so guessing ids cannot evict real keys. */
  readonly keyCacheSize: number;
  /** The key from identity, or undefined when it does not exist; throws when identity is down. */
  fetchKey(keyId: string): Promise<SigningKey | undefined>;
  readonly nonces: NonceStore;
  readonly now?: () => number;
}

const keyIdPattern = /^[A-Za-z0-9_-]{1,128}$/;
const noncePattern = /^[A-Za-z0-9_-]{8,128}$/;
/** 32 bytes in base64url: 42 characters and a last one whose two unused low bits are zero. */
const signaturePattern = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export interface SignedRequest extends SignedParts {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Verifies signed requests. Checks run cheapest first, and the nonce is claimed last, so a
 * forged request cannot burn a genuine client's nonce: headers, clock skew, key, HMAC
 * (constant time), then replay (SET NX in Redis for twice the skew window). The replay key
 * is the nonce, or without one the signature's decoded bytes, never the text as sent.
 */
export class SignatureVerifier {
  readonly #options: SignatureVerifierOptions;
  readonly #now: () => number;
  readonly #keys: LRUCache<string, SigningKey>;
  readonly #unknown: LRUCache<string, true>;
  readonly #fetching = new Map<string, Promise<SigningKey | undefined>>();

  constructor(options: SignatureVerifierOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const ttl = Math.max(1, options.keyCacheSeconds) * 1000;
    this.#keys = new LRUCache({ max: Math.max(1, options.keyCacheSize), ttl });
    this.#unknown = new LRUCache({ max: 10_000, ttl });
  }

  async verify(request: Omit<SignedRequest, "timestamp" | "nonce" | "idempotencyKey">): Promise<Principal> {
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? undefined : value;
    };
    const keyId = header(signatureHeaders.keyId) ?? "";
    const timestamp = header(signatureHeaders.timestamp) ?? "";
    const signature = header(signatureHeaders.signature) ?? "";
    const nonce = header(signatureHeaders.nonce);
    const idempotencyKey = header(signedHeaders.idempotencyKey);
    if (!keyIdPattern.test(keyId) || !signaturePattern.test(signature))
      throw rejectSignature(
        "malformed-signature-headers",
        "X-Api-Key-Id and X-Signature are required, once each; X-Signature is the 43-character base64url HMAC-SHA256, without padding",
      );
    if (nonce !== undefined && !noncePattern.test(nonce))
      throw rejectSignature(
        "malformed-signature-headers",
        "X-Signature-Nonce must be 8 to 128 base64url characters",
      );
    if (!/^\d{1,12}$/.test(timestamp))
      throw rejectSignature("malformed-signature-headers", "X-Signature-Timestamp must be unix seconds");
    const skew = Math.abs(this.#now() / 1000 - Number(timestamp));
    if (skew > this.#options.maxSkewSeconds)
      throw rejectSignature(
        "stale-timestamp",
        `X-Signature-Timestamp is ${Math.round(skew)} s away from the server's clock (at most ${this.#options.maxSkewSeconds} s)`,
      );

    const key = await this.#key(keyId);
    if (!key) throw rejectSignature("unknown-key", `no API key "${keyId}" exists`);
    const expected = hmac(key.signingKey, canonicalString({ ...request, timestamp, nonce, idempotencyKey }));
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw rejectSignature(
        "bad-signature",
        "the signature does not match the request; see the canonical string in the API documentation",
      );

    const fresh = await this.#options.nonces.claim(
      nonce === undefined ? `${keyId}:s:${given.toString("hex")}` : `${keyId}:n:${nonce}`,
      2 * this.#options.maxSkewSeconds,
    );
    if (!fresh)
      throw rejectSignature("replayed", "this signed request was already received; sign each request anew");
    return { userId: key.userId, roles: key.roles, method: "api_key" };
  }

  async #key(keyId: string): Promise<SigningKey | undefined> {
    const cached = this.#keys.get(keyId);
    if (cached || this.#unknown.has(keyId)) return cached;
    let pending = this.#fetching.get(keyId);
    if (!pending) {
      pending = this.#options.fetchKey(keyId).finally(() => this.#fetching.delete(keyId));
      this.#fetching.set(keyId, pending);
    }
    const key = await pending;
    if (key) this.#keys.set(keyId, key);
    else this.#unknown.set(keyId, true);
    return key;
  }
}
