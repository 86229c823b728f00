import type { KeyObject } from "node:crypto";
import { ed25519Sign, ed25519Verify } from "../../../contracts/ed25519.js";

/**
 * The token one service presents to another on every gRPC call (`authorization: Bearer`):
 * a compact JWS (RFC 7515) signed with the caller's Ed25519 key (`alg` EdDSA, `kid` the
 * caller's name), whose claims say who calls (`iss`), whom (`aud`), until when (`exp`) and,
 * from the service that authenticates end users only, on whose behalf (`principal`).
 * Callers mint one per callee and principal and reuse it for half its life; callees verify
 * a token once and remember it until it expires (caller-identity.ts, caller-check.ts).
 */

/** The end user a call is made for: what the gateway verified from a JWT or a signed request. */
export interface CallPrincipal {
  readonly userId: string;
  readonly roles: readonly string[];
  /** "jwt" or "api_key". */
  readonly method: string;
}

export interface CallClaims {
  /** The calling service. */
  readonly iss: string;
  /** The called service: a token is good at one callee only. */
  readonly aud: string;
  /** Issued and expires at, seconds since the epoch. */
  readonly iat: number;
  readonly exp: number;
  readonly principal?: CallPrincipal;
}

/** The longest life a callee accepts: a caller's clock may be off, its tokens not eternal. */
export const maxTokenLifetimeSeconds = 600;
/** Clock skew tolerated between pods. */
export const clockSkewSeconds = 30;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export function mintCallToken(claims: CallClaims, key: KeyObject): string {
  const signingInput = `${b64({ alg: "EdDSA", kid: claims.iss, typ: "JWT" })}.${b64(claims)}`;
  return `${signingInput}.${ed25519Sign(key, signingInput).toString("base64url")}`;
}

/** Why a token is refused, for the UNAUTHENTICATED message (no secret in it). */
export class CallTokenError extends Error {
  override readonly name = "CallTokenError";
}

function parseJson(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {}
  throw new CallTokenError("the call token is not a JWS");
}

function principalClaim(value: unknown): CallPrincipal | undefined {
  if (value === undefined) return undefined;
  const p = value as Partial<CallPrincipal>;
  if (
    typeof p.userId !== "string" ||
    !p.userId ||
    typeof p.method !== "string" ||
    !Array.isArray(p.roles) ||
    !p.roles.every((r) => typeof r === "string")
  )
    throw new CallTokenError("the call token's principal is malformed");
  return { userId: p.userId, roles: p.roles, method: p.method };
}

/**
 * Verifies `token` for `audience` against the callers' public keys and returns its claims;
 * throws CallTokenError naming what is wrong: an unknown caller, a bad signature, another
 * audience, an expired or over-long token.
 */
export function verifyCallToken(
  token: string,
  audience: string,
  keys: ReadonlyMap<string, KeyObject>,
  nowSeconds: number,
): CallClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new CallTokenError("the call token is not a compact JWS");
  const header = parseJson(parts[0]!);
  if (header["alg"] !== "EdDSA") throw new CallTokenError("the call token must be signed with EdDSA");
  const caller = String(header["kid"]);
  const key = keys.get(caller);
  if (!key) throw new CallTokenError(`"${caller}" is not a known caller of ${audience}`);
  if (!ed25519Verify(key, `${parts[0]}.${parts[1]}`, Buffer.from(parts[2]!, "base64url")))
    throw new CallTokenError(`the call token's signature is not ${caller}'s`);
  const claims = parseJson(parts[1]!);
  const { iss, aud, iat, exp } = claims;
  if (iss !== caller) throw new CallTokenError("the call token's issuer is not its key's owner");
  if (aud !== audience) throw new CallTokenError(`the call token is for ${String(aud)}, not ${audience}`);
  if (typeof iat !== "number" || typeof exp !== "number" || exp <= iat)
    throw new CallTokenError("the call token has no valid lifetime");
  if (exp - iat > maxTokenLifetimeSeconds)
    throw new CallTokenError(`the call token lives longer than ${maxTokenLifetimeSeconds} s`);
  if (exp <= nowSeconds - clockSkewSeconds) throw new CallTokenError("the call token has expired");
  if (iat > nowSeconds + clockSkewSeconds) throw new CallTokenError("the call token is issued in the future");
  const principal = principalClaim(claims["principal"]);
  return { iss: caller, aud: audience, iat, exp, ...(principal ? { principal } : {}) };
}
