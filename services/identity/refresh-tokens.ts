import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Queryable } from "../runtime/postgres.js";
import type { RevocationReason } from "./revoked-sessions.js";

/**
 * Refresh tokens: 32 random bytes (base64url) handed to the client, stored only as SHA-256
 * (a high-entropy secret needs no slow hash). Each belongs to a session, the family of
 * tokens rotated from one login. Refreshing spends the presented token and issues the
 * next; a spent token presented again means two parties hold the family (a stolen token),
 * so the whole session is revoked: both the thief and the user must log in again.
 */
export const refreshTokenPattern = /^[A-Za-z0-9_-]{43}$/;

export const hashRefreshToken = (token: string) => createHash("sha256").update(token).digest();

function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashRefreshToken(token) };
}

/** What the database knows of a presented token and its session. */
export interface PresentedToken {
  readonly sessionId: string;
  readonly userId: string;
  readonly spentAt: Date | null;
  readonly expiresAt: Date;
  readonly sessionRevokedAt: Date | null;
}

/** What to do with a presented refresh token; the first that applies wins. */
export type RefreshVerdict = "unknown" | "revoked" | "reused" | "expired" | "rotate";

export function judgeRefresh(token: PresentedToken | undefined, now: Date): RefreshVerdict {
  if (!token) return "unknown";
  if (token.sessionRevokedAt) return "revoked";
  if (token.spentAt) return "reused";
  if (token.expiresAt <= now) return "expired";
  return "rotate";
}

export type RefreshOutcome =
  | {
      readonly verdict: "rotate";
      readonly sessionId: string;
      readonly userId: string;
      readonly refreshToken: string;
    }
  | {
      readonly verdict: Exclude<RefreshVerdict, "rotate">;
      readonly sessionId?: string;
      readonly userId?: string;
    };

export interface SessionPolicy {
  /** How long an unused refresh token stays valid; each rotation starts it again. */
  readonly refreshTokenLifetimeMs: number;
}

async function insertRefreshToken(tx: Queryable, sessionId: string, now: Date, policy: SessionPolicy) {
  const { token, hash } = newRefreshToken();
  await tx.query("INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)", [
    hash,
    sessionId,
    new Date(now.getTime() + policy.refreshTokenLifetimeMs),
  ]);
  return token;
}

/** A new session for a user who just proved who they are, with its first refresh token. */
export async function startSession(
  tx: Queryable,
  userId: string,
  policy: SessionPolicy,
  now = new Date(),
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = randomUUID();
  await tx.query("INSERT INTO sessions (id, user_id) VALUES ($1, $2)", [sessionId, userId]);
  return { sessionId, refreshToken: await insertRefreshToken(tx, sessionId, now, policy) };
}

/** The token and its session, locked: concurrent refreshes of one family take turns. */
async function presentedToken(tx: Queryable, token: string): Promise<PresentedToken | undefined> {
  const [row] = await tx.query<{
    session_id: string;
    user_id: string;
    spent_at: Date | null;
    expires_at: Date;
    revoked_at: Date | null;
  }>(
    `SELECT t.session_id, s.user_id, t.spent_at, t.expires_at, s.revoked_at
       FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
      WHERE t.token_hash = $1 FOR UPDATE`,
    [hashRefreshToken(token)],
  );
  return (
    row && {
      sessionId: row.session_id,
      userId: row.user_id,
      spentAt: row.spent_at,
      expiresAt: row.expires_at,
      sessionRevokedAt: row.revoked_at,
    }
  );
}

async function revoke(tx: Queryable, sessionId: string, reason: RevocationReason): Promise<void> {
  await tx.query(
    "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
    [sessionId, reason],
  );
}

/**
 * Exchanges a refresh token for the next one of its family. A reused token revokes the
 * session in this transaction, which commits: the caller reports the refusal afterwards.
 */
export async function rotateRefreshToken(
  tx: Queryable,
  token: string,
  policy: SessionPolicy,
  now = new Date(),
): Promise<RefreshOutcome> {
  const presented = await presentedToken(tx, token);
  if (!presented) return { verdict: "unknown" };
  const verdict = judgeRefresh(presented, now);
  if (verdict !== "rotate") {
    if (verdict === "reused") await revoke(tx, presented.sessionId, "refresh-token-reuse");
    return { verdict, sessionId: presented.sessionId, userId: presented.userId };
  }
  await tx.query("UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1", [
    hashRefreshToken(token),
    now,
  ]);
  const refreshToken = await insertRefreshToken(tx, presented.sessionId, now, policy);
  return { verdict, sessionId: presented.sessionId, userId: presented.userId, refreshToken };
}

/** Ends the session a refresh token (current or spent) belongs to; undefined for an unknown token. */
export async function endSession(
  tx: Queryable,
  token: string,
): Promise<{ id: string; userId: string } | undefined> {
  const presented = await presentedToken(tx, token);
  if (!presented) return undefined;
  await revoke(tx, presented.sessionId, "logout");
  return { id: presented.sessionId, userId: presented.userId };
}
