import type { IncomingMessage } from "node:http";
import { HttpProblem } from "../problems.js";
import type { RateLimiter } from "../rate-limit.js";
import { type JwtVerifier, rejectToken, type TokenReason } from "./jwt.js";
import type { Principal } from "./principal.js";
import { type SignatureReason, type SignatureVerifier, signatureHeaders } from "./signing.js";

/**
 * Refusals honest clients meet in the normal life of their credentials: a token expires, a
 * session is signed out, a clock drifts, a signed request is retried. They cost the gateway
 * nothing and are not counted; every other refusal (malformed, forged or unknown
 * credentials) is a failure against the client address's budget.
 */
const honestRefusals = new Set<TokenReason | SignatureReason>([
  "token-expired",
  "token-not-yet-valid",
  "session-revoked",
  "stale-timestamp",
  "replayed",
]);

function isFailure(err: unknown): boolean {
  return (
    err instanceof HttpProblem &&
    (err.kind === "invalid-token" || err.kind === "invalid-signature") &&
    !honestRefusals.has(err.extensions["reason"] as TokenReason)
  );
}

/** The answer to an address over its failure budget (reason `too-many-failures`). */
export const tooManyFailures = (retryAfterMs: number) => {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new HttpProblem(
    "rate-limited",
    `too many failed authentications from this address; credentials from it are refused for ${seconds} s`,
    { reason: "too-many-failures" },
    { "Retry-After": String(seconds) },
  );
};

/**
 * Authentication with a failure budget per client address, checked before the credentials:
 * an address over its budget is refused at once (429), so guessed key ids stop costing
 * identity a call and a query and stop filling the key cache, and forged tokens stop
 * costing signature checks. Failures are counted in Redis when they happen; success costs
 * nothing here (the rate-limit call that follows checks the budget in the same round trip).
 */
export function createAuthenticator(parts: {
  readonly jwt: JwtVerifier;
  readonly signatures: SignatureVerifier;
  readonly limiter: RateLimiter;
}) {
  async function verify(req: IncomingMessage, body: Buffer, signed: boolean): Promise<Principal> {
    if (signed)
      return parts.signatures.verify({ method: req.method!, target: req.url!, headers: req.headers, body });
    const bearer = /^Bearer +(\S+)$/i.exec(req.headers.authorization!);
    if (!bearer) throw rejectToken("unsupported-scheme", "use Authorization: Bearer <access token>");
    return parts.jwt.verify(bearer[1]!);
  }

  /** The principal of the credentials sent, undefined without any; `address` is the client's bucket. */
  return async function authenticate(
    req: IncomingMessage,
    body: Buffer,
    address: string,
  ): Promise<Principal | undefined> {
    const bearer = req.headers.authorization !== undefined;
    const signed =
      req.headers[signatureHeaders.keyId] !== undefined ||
      req.headers[signatureHeaders.signature] !== undefined;
    if (bearer && signed)
      throw new HttpProblem("bad-request", "send a bearer token or a request signature, not both");
    if (!bearer && !signed) return undefined;
    const blocked = parts.limiter.blockedFor(address);
    if (blocked > 0) throw tooManyFailures(blocked);
    try {
      return await verify(req, body, signed);
    } catch (err) {
      if (!isFailure(err)) throw err;
      const counted = await parts.limiter.countFailure(address);
      throw counted && !counted.allowed ? tooManyFailures(counted.retryAfterMs) : err;
    }
  };
}
