import { ServiceError } from "../runtime/errors.js";
import { type Redis, redisOp } from "../runtime/redis.js";

/**
 * The revocation cache the gateway reads: a contract between two services.
 *
 *   key    identity:revoked-session:<sid>    <sid> is the access token's `sid` claim (a UUID)
 *   value  why: "logout" or "refresh-token-reuse"
 *   TTL    the access-token lifetime (IDENTITY_ACCESS_TOKEN_TTL_SECONDS), set at revocation
 *
 * An access token is refused while the key of its `sid` exists. Every token of the session
 * was issued before the revocation, so it has expired by the time the key does. Postgres
 * stays the record (sessions.revoked_at); the key only makes the revocation visible to
 * verifiers that never ask identity.
 */
export const revokedSessionKey = (sessionId: string) => `identity:revoked-session:${sessionId}`;

export type RevocationReason = "logout" | "refresh-token-reuse";

export async function markSessionRevoked(
  redis: Redis,
  sessionId: string,
  reason: RevocationReason,
  ttlSeconds: number,
): Promise<void> {
  try {
    await redisOp("SET", () => redis.set(revokedSessionKey(sessionId), reason, { EX: ttlSeconds }));
  } catch (err) {
    throw new ServiceError(
      "unavailable",
      `session ${sessionId} is revoked but Redis could not record it for the gateway (${(err as Error).message}); retry`,
    );
  }
}
