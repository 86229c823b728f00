import type { KeyObject } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { PrincipalSchema } from "../../gen/platform/common/v1/common_pb.js";
import { permissionDenied, unauthenticated } from "../errors.js";
import {
  type CallClaims,
  type CallPrincipal,
  CallTokenError,
  clockSkewSeconds,
  verifyCallToken,
} from "./call-token.js";

/** Who a service accepts calls from; configured from the registry (caller-config.ts). */
export interface CallerPolicy {
  /** This service: the audience its callers' tokens must name. */
  readonly service: string;
  /** Each caller's public key, by service name: every caller not here is refused. */
  readonly keys: ReadonlyMap<string, KeyObject>;
  /** Callers whose tokens may carry an end user's principal (the gateway). */
  readonly principalCallers: ReadonlySet<string>;
  /** RPCs reserved for some callers, by RPC name (the registry's `methodCallers`). */
  readonly methodCallers: Readonly<Record<string, readonly string[]>>;
}

/** Verified tokens kept; a token is verified once per replica, then looked up until it expires. */
const cacheSize = 10_000;

const samePrincipal = (a: CallPrincipal, b: CallPrincipal) =>
  a.userId === b.userId &&
  a.method === b.method &&
  a.roles.length === b.roles.length &&
  a.roles.every((role, i) => role === b.roles[i]);

/**
 * The server side of call tokens: authenticates the calling service, checks it may call the
 * RPC, and takes the end user's principal from the token alone. A request message's own
 * `principal` must be the token's (or absent: it is filled in), so a forged one is refused
 * instead of trusted.
 */
export class CallerCheck {
  readonly #verified = new Map<string, CallClaims>();

  constructor(
    private readonly policy: CallerPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** The RPCs reserved for some callers: the server checks they exist. */
  get reservedRpcs(): Readonly<Record<string, readonly string[]>> {
    return this.policy.methodCallers;
  }

  /**
   * Admits a call to `rpc` or throws UNAUTHENTICATED / PERMISSION_DENIED. `request` is the
   * message when its type has a `principal` field: that field is then checked or filled in.
   */
  admit(rpc: string, authorization: unknown, request: { principal?: unknown } | undefined): CallClaims {
    const claims = this.#claims(authorization);
    const allowed = this.policy.methodCallers[rpc];
    if (allowed && !allowed.includes(claims.iss))
      throw permissionDenied(`${rpc} is for ${allowed.join(", ")} only, not ${claims.iss}`);
    if (claims.principal && !this.policy.principalCallers.has(claims.iss))
      throw permissionDenied(`${claims.iss} may not call on behalf of an end user`);
    if (request) this.#reconcile(request, claims.principal);
    return claims;
  }

  #claims(authorization: unknown): CallClaims {
    if (typeof authorization !== "string" || !authorization.startsWith("Bearer "))
      throw unauthenticated(`calls to ${this.policy.service} need a caller token (authorization: Bearer)`);
    const nowSeconds = this.now() / 1000;
    const cached = this.#verified.get(authorization);
    if (cached && cached.exp > nowSeconds - clockSkewSeconds) return cached;
    let claims: CallClaims;
    try {
      claims = verifyCallToken(authorization.slice(7), this.policy.service, this.policy.keys, nowSeconds);
    } catch (err) {
      if (err instanceof CallTokenError) throw unauthenticated(err.message);
      throw err;
    }
    this.#verified.delete(authorization);
    if (this.#verified.size >= cacheSize) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(authorization, claims);
    return claims;
  }

  #reconcile(request: { principal?: unknown }, vouched: CallPrincipal | undefined): void {
    const sent = request.principal as CallPrincipal | undefined;
    if (sent?.userId) {
      if (!vouched || !samePrincipal(sent, vouched))
        throw permissionDenied("the request's principal is not the one its caller's token vouches for");
      return;
    }
    request.principal = vouched
      ? create(PrincipalSchema, { ...vouched, roles: [...vouched.roles] })
      : undefined;
  }
}
