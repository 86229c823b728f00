import { createHash, randomBytes } from "node:crypto";
import { failedPrecondition, notFound, permissionDenied, unauthenticated } from "../runtime/errors.js";
import type { Queryable } from "../runtime/postgres.js";
import { type KeyEncryptionKey, open, seal } from "../runtime/sealing.js";
import type { Principal } from "./requests.js";

/**
 * API keys for signed requests. A client gets a key id (`ak_` + 128 random bits) and a
 * secret (32 random bytes, base64url), shown once. The secret is the HMAC-SHA256 key the
 * client signs requests with, and the gateway verifies them with the same key.
 *
 * Identity cannot keep only a hash here, as it does for passwords and refresh tokens: an
 * HMAC is verified by recomputing it, which needs the key itself. So it keeps two things:
 *  - the secret's SHA-256, which recognises a secret (a leaked one can be looked up and
 *    its key deleted) without being able to sign anything;
 *  - the key sealed with AES-256-GCM under the KEK from the environment (bound to the key
 *    id), opened only to answer GetSigningKey. A dump of the database alone cannot sign.
 */
export const apiKeyIdPattern = /^ak_[A-Za-z0-9_-]{22}$/;

export const hashApiKeySecret = (secret: string) => createHash("sha256").update(secret).digest();

export interface CreatedApiKey {
  readonly keyId: string;
  readonly secret: string;
  readonly name: string;
  readonly createdAt: string;
}

/**
 * Creates a key for `owner`, who may hold at most `maxPerUser` at once. The gateway limits
 * a user's requests together whichever key signs them; the cap bounds how many secrets one
 * account has in circulation (before it, N keys meant N rate-limit budgets).
 */
export async function createApiKey(
  tx: Queryable,
  kek: KeyEncryptionKey,
  owner: Principal,
  name: string,
  maxPerUser: number,
): Promise<CreatedApiKey> {
  if (owner.method === "api_key")
    throw permissionDenied("an API key cannot create API keys; call with an access token from a login");
  // Creations for one user queue on the user's row; the count, a statement of its own, is
  // read after the lock, so it sees every key committed before (READ COMMITTED).
  const [user] = await tx.query("SELECT id FROM users WHERE id = $1 FOR UPDATE", [owner.userId]);
  if (!user) throw unauthenticated(`the principal's user ${owner.userId} no longer exists`);
  const [{ held }] = (await tx.query<{ held: number }>(
    "SELECT count(*)::int AS held FROM api_keys WHERE user_id = $1",
    [owner.userId],
  )) as [{ held: number }];
  if (held >= maxPerUser)
    throw failedPrecondition(
      `the user already has ${held} API keys, the most one user may hold; delete one before creating another`,
    );
  const keyId = `ak_${randomBytes(16).toString("base64url")}`;
  const key = randomBytes(32);
  const secret = key.toString("base64url");
  const [row] = await tx.query<{ created_at: Date }>(
    `INSERT INTO api_keys (id, user_id, name, secret_hash, signing_key)
     VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
    [keyId, owner.userId, name, hashApiKeySecret(secret), seal(kek, key, keyId)],
  );
  return { keyId, secret, name, createdAt: row!.created_at.toISOString() };
}

/** Deletes a key; only its owner or an admin may. */
export async function deleteApiKey(tx: Queryable, keyId: string, principal: Principal): Promise<void> {
  const [row] = await tx.query<{ user_id: string }>("SELECT user_id FROM api_keys WHERE id = $1 FOR UPDATE", [
    keyId,
  ]);
  if (!row) throw notFound(`API key ${keyId}`);
  if (row.user_id !== principal.userId && !principal.roles.includes("admin"))
    throw permissionDenied(`API key ${keyId} belongs to another user; only its owner or an admin deletes it`);
  await tx.query("DELETE FROM api_keys WHERE id = $1", [keyId]);
}

export interface ApiSigningKey {
  readonly keyId: string;
  readonly userId: string;
  /** The owner's roles now, so a demotion reaches signed requests too. */
  readonly roles: string[];
  /** The HMAC-SHA256 key, base64url: the same string as the secret the client holds. */
  readonly signingKey: string;
}

/** What the gateway needs to verify a request signed with `keyId`. */
export async function apiSigningKey(
  q: Queryable,
  kek: KeyEncryptionKey,
  keyId: string,
): Promise<ApiSigningKey> {
  const [row] = await q.query<{ user_id: string; signing_key: Buffer; roles: string[] }>(
    "SELECT k.user_id, k.signing_key, u.roles FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1",
    [keyId],
  );
  if (!row) throw notFound(`API key ${keyId}`);
  return {
    keyId,
    userId: row.user_id,
    roles: row.roles,
    signingKey: open(kek, row.signing_key, keyId).toString("base64url"),
  };
}
