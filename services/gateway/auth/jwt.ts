import { errors, importJWK, type JWK, type JWTPayload, jwtVerify } from "jose";
import { LRUCache } from "lru-cache";
import { HttpProblem } from "../problems.js";
import type { Principal } from "./principal.js";

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

export interface Jwks {
  readonly jwksJson: string;
  readonly maxAgeSeconds: number;
}

export interface JwtVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSeconds: number;
  /** A verified token is trusted from the cache for at most this long (revocation window). */
  readonly cacheMaxTtlSeconds: number;
  readonly cacheSize: number;
  /** An unknown `kid` refetches the JWKS at most once per this many seconds. */
  readonly unknownKeyRefetchSeconds: number;
  /** Fetches the JWKS from identity; throws (an UpstreamError) when identity is down. */
  fetchJwks(): Promise<Jwks>;
  /** Whether a session was revoked; undefined when that cannot be told now (Redis down or slow). */
  isRevoked(sessionId: string): Promise<boolean | undefined>;
  /**
   * A token whose revocation cannot be checked: `closed` refuses it (503), `open` accepts it
   * uncached unless this replica has seen its session revoked (the local deny-list).
   */
  readonly revocationUnknown: "open" | "closed";
  /** Told when a token's revocation cannot be checked, for logs. */
  onRevocationUnknown?(): void;
  /** Told when a JWKS refresh fails while older keys still serve. */
  onStaleKeys?(err: unknown): void;
  readonly now?: () => number;
}

/** Why a token was refused; the `reason` member of the problem document. */
export type TokenReason =
  | "malformed-token"
  | "unsupported-scheme"
  | "algorithm-not-allowed"
  | "unknown-key"
  | "bad-signature"
  | "token-expired"
  | "token-not-yet-valid"
  | "wrong-issuer"
  | "wrong-audience"
  | "invalid-claims"
  | "session-revoked";

export const rejectToken = (reason: TokenReason, detail: string) =>
  new HttpProblem(
    "invalid-token",
    detail,
    { reason },
    { "WWW-Authenticate": `Bearer realm="platform", error="invalid_token", error_description="${reason}"` },
  );

interface Verified {
  readonly principal: Principal;
  /** When the token itself expires (ms); the cache never outlives it. */
  readonly expiresAtMs: number;
}

const maxTokenLength = 8192;

/**
 * Verifies identity's EdDSA access tokens. The JWKS comes over gRPC and is cached for its
 * max age (refreshed in the background after that, older keys serving while identity is
 * down); an unknown `kid` refetches it at most once per `unknownKeyRefetchSeconds`, which
 * picks up a rotated key without letting junk tokens hammer identity. The algorithm is
 * pinned to EdDSA before any key is looked up, so `none` and HS256 never get that far.
 *
 * A signature check costs ~100 us, so a verified token is cached (bounded LRU) until it
 * expires, but at most `cacheMaxTtlSeconds`: a revoked session (identity writes
 * `identity:revoked-session:<sid>` into Redis) is checked on every cache miss, so
 * revocation takes effect within that window. A session found revoked is also kept in a
 * local deny-list until its token expires, so it stays refused while Redis cannot be asked.
 */
export class JwtVerifier {
  readonly #options: JwtVerifierOptions;
  readonly #now: () => number;
  readonly #cache: LRUCache<string, Verified>;
  /** Sessions this replica has found revoked, each kept until the last token seen of it expires. */
  readonly #revoked = new LRUCache<string, true>({ max: 10_000 });
  #keys = new Map<string, VerificationKey>();
  #keysExpireAt = 0;
  #lastUnknownKeyRefetch = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;

  constructor(options: JwtVerifierOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#cache = new LRUCache({ max: options.cacheSize, ttl: options.cacheMaxTtlSeconds * 1000 });
  }

  /** Loads the JWKS now; the gateway calls this at start so the first request does not pay. */
  warm(): Promise<void> {
    return this.#refresh();
  }

  /** The principal of a valid token, or throws an `invalid-token` problem saying why not. */
  async verify(token: string): Promise<Principal> {
    const now = this.#now();
    const cached = this.#cache.get(token);
    if (cached && cached.expiresAtMs > now) return cached.principal;

    if (token.length > maxTokenLength || token.split(".").length !== 3)
      throw rejectToken("malformed-token", "the bearer token is not a compact JWS");
    const payload = await this.#verifySignatureAndClaims(token, now);
    const principal = principalOf(payload);
    const sessionId = typeof payload["sid"] === "string" ? payload["sid"] : undefined;
    const expiresAtMs = payload.exp! * 1000;
    const revoked = sessionId ? await this.#revocationOf(sessionId, expiresAtMs - now) : false;
    if (revoked === undefined) {
      // Not cached: once Redis is back, the next request checks revocation again.
      this.#options.onRevocationUnknown?.();
      if (this.#options.revocationUnknown === "closed")
        throw new HttpProblem(
          "service-unavailable",
          "whether this token's session was revoked cannot be checked right now; retry shortly",
          {},
          { "Retry-After": "1" },
        );
    } else {
      const ttl = Math.min(expiresAtMs - now, this.#options.cacheMaxTtlSeconds * 1000);
      if (ttl > 0)
        this.#cache.set(token, { principal, expiresAtMs: Math.min(expiresAtMs, now + ttl) }, { ttl });
    }
    return principal;
  }

  /** Refuses a revoked session; false when not revoked, undefined when that cannot be told. */
  async #revocationOf(sessionId: string, lifeLeftMs: number): Promise<false | undefined> {
    const revoked = this.#revoked.has(sessionId) || (await this.#options.isRevoked(sessionId));
    if (revoked) {
      if (lifeLeftMs > (this.#revoked.getRemainingTTL(sessionId) || 0))
        this.#revoked.set(sessionId, true, { ttl: lifeLeftMs });
      throw rejectToken("session-revoked", "the session of this token was signed out or revoked");
    }
    return revoked;
  }

  async #verifySignatureAndClaims(token: string, now: number): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, (header) => this.#key(header.kid), {
        algorithms: ["EdDSA"],
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        clockTolerance: this.#options.clockToleranceSeconds,
        currentDate: new Date(now),
        requiredClaims: ["exp", "sub"],
      });
      return payload;
    } catch (err) {
      throw tokenProblem(err);
    }
  }

  async #key(kid: string | undefined): Promise<VerificationKey> {
    if (!kid) throw rejectToken("unknown-key", "the token's header names no key (kid)");
    if (this.#keys.size === 0) await this.#refresh();
    else if (this.#now() >= this.#keysExpireAt)
      void this.#refresh().catch((err) => this.#options.onStaleKeys?.(err));
    let key = this.#keys.get(kid);
    const now = this.#now();
    if (!key && now - this.#lastUnknownKeyRefetch >= this.#options.unknownKeyRefetchSeconds * 1000) {
      this.#lastUnknownKeyRefetch = now;
      await this.#refresh();
      key = this.#keys.get(kid);
    }
    if (!key) throw rejectToken("unknown-key", `no signing key "${kid}" is published by identity`);
    return key;
  }

  /** One JWKS fetch at a time; every waiter shares it. */
  #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const { jwksJson, maxAgeSeconds } = await this.#options.fetchJwks();
        this.#keys = await importJwks(jwksJson);
        this.#keysExpireAt = this.#now() + Math.max(1, maxAgeSeconds) * 1000;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }
}

/** The Ed25519 signing keys of a JWKS document by kid; anything else in it is ignored. */
export async function importJwks(jwksJson: string): Promise<Map<string, VerificationKey>> {
  const document = JSON.parse(jwksJson) as { keys?: JWK[] };
  const keys = new Map<string, VerificationKey>();
  for (const jwk of document.keys ?? []) {
    const usable =
      typeof jwk.kid === "string" &&
      jwk.kty === "OKP" &&
      jwk.crv === "Ed25519" &&
      (jwk.alg === undefined || jwk.alg === "EdDSA") &&
      (jwk.use === undefined || jwk.use === "sig") &&
      jwk.d === undefined;
    if (usable) keys.set(jwk.kid!, await importJWK({ ...jwk, alg: "EdDSA" }, "EdDSA"));
  }
  return keys;
}

function principalOf(payload: JWTPayload): Principal {
  const roles = payload["roles"];
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === "string")))
    throw rejectToken("invalid-claims", "the token's roles claim is not a list of strings");
  if (!payload.sub) throw rejectToken("invalid-claims", "the token has no subject");
  return { userId: payload.sub, roles: (roles as string[] | undefined) ?? [], method: "jwt" };
}

/** jose's errors as reasons a client can act on. */
function tokenProblem(err: unknown): unknown {
  if (err instanceof HttpProblem) return err;
  if (err instanceof errors.JWTExpired)
    return rejectToken("token-expired", "the token has expired; refresh it");
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "nbf":
        return rejectToken("token-not-yet-valid", "the token is not valid yet (nbf)");
      case "iat":
        return rejectToken("token-not-yet-valid", "the token was issued in the future (iat)");
      case "iss":
        return rejectToken("wrong-issuer", "the token was not issued by this platform's identity service");
      case "aud":
        return rejectToken("wrong-audience", "the token is meant for another audience");
      default:
        return rejectToken("invalid-claims", `the token's ${err.claim} claim is missing or invalid`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return rejectToken("algorithm-not-allowed", "only EdDSA-signed tokens are accepted");
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return rejectToken("bad-signature", "the token's signature does not verify");
  if (err instanceof errors.JOSEError || err instanceof SyntaxError || err instanceof TypeError)
    return rejectToken("malformed-token", "the bearer token is malformed");
  return err; // identity down while fetching keys: an upstream problem, not the client's
}
