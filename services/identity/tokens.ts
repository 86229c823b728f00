import { randomUUID } from "node:crypto";
import { type JWTPayload, SignJWT } from "jose";
import type { TokenPair } from "../gen/platform/identity/v1/identity_pb.js";
import type { ActiveSigningKey, SigningKeys } from "./signing-keys.js";

export interface AccessTokenPolicy {
  /** `iss`: this identity service. */
  readonly issuer: string;
  /** `aud`: the API that accepts the token (the gateway). */
  readonly audience: string;
  readonly lifetimeSeconds: number;
}

/** Whom a token speaks for: a user, with the roles they had, in one session. */
export interface AccessTokenSubject {
  readonly userId: string;
  readonly roles: readonly string[];
  readonly sessionId: string;
}

/** The claims of an access token (RFC 9068 shape, plus `roles` and `sid`). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  aud: string;
  sub: string;
  roles: string[];
  /** The session: the gateway refuses tokens of a revoked one (see revoked-sessions.ts). */
  sid: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
}

export function accessTokenClaims(
  subject: AccessTokenSubject,
  policy: AccessTokenPolicy,
  now: Date,
  jti: string = randomUUID(),
): AccessTokenClaims {
  const iat = Math.floor(now.getTime() / 1000);
  return {
    iss: policy.issuer,
    aud: policy.audience,
    sub: subject.userId,
    roles: [...subject.roles],
    sid: subject.sessionId,
    jti,
    iat,
    nbf: iat,
    exp: iat + policy.lifetimeSeconds,
  };
}

/** A compact JWS: EdDSA (Ed25519), header `kid` naming the JWKS key, `typ` at+jwt. */
export function signAccessToken(claims: AccessTokenClaims, key: ActiveSigningKey): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: key.kid })
    .sign(key.privateKey);
}

/** Issues token pairs: a fresh access token beside the refresh token of the session. */
export class TokenIssuer {
  constructor(
    private readonly keys: SigningKeys,
    readonly policy: AccessTokenPolicy,
  ) {}

  async pair(subject: AccessTokenSubject, refreshToken: string): Promise<Omit<TokenPair, "$typeName">> {
    const now = new Date();
    const accessToken = await signAccessToken(
      accessTokenClaims(subject, this.policy, now),
      await this.keys.current(now),
    );
    return { accessToken, refreshToken, expiresIn: this.policy.lifetimeSeconds, tokenType: "Bearer" };
  }
}
