import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import type { Logger } from "../runtime/logger.js";
import type { Database, Queryable } from "../runtime/postgres.js";
import { type KeyEncryptionKey, open, seal } from "../runtime/sealing.js";

/**
 * The Ed25519 keys that sign access tokens, kept in Postgres with the private half sealed
 * under the KEK. Their life:
 *
 *   created -> published (in the JWKS) -> signing -> superseded -> published until every
 *   token it signed has expired -> deleted
 *
 * A new key is created when the newest one is older than the rotation period. It signs only
 * `publishAheadMs` later (the JWKS max-age), so every verifier's cached JWKS already holds
 * it when the first token it signed arrives: the gateway never meets an unknown kid.
 */
export interface SigningKeyRecord {
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly sealedPrivateKey: Buffer;
  readonly createdAt: Date;
  readonly activatesAt: Date;
}

export interface SigningKeyPolicy {
  /** A key older than this gets a successor. */
  readonly rotationMs: number;
  /** How long a new key is published before it signs: the JWKS max-age. */
  readonly publishAheadMs: number;
  /** The access-token lifetime: how long a superseded key stays published. */
  readonly tokenLifetimeMs: number;
}

/**
 * Replicas that learn late of a new key (they look again at most this often) and clock
 * skew between them: a superseded key stays published this much longer.
 */
export const recheckMs = 60_000;

const byActivation = (a: SigningKeyRecord, b: SigningKeyRecord) =>
  a.activatesAt.getTime() - b.activatesAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime();

/** The key that signs at `now`: the last one activated. */
export function activeKey(keys: readonly SigningKeyRecord[], now: Date): SigningKeyRecord | undefined {
  return keys
    .filter((k) => k.activatesAt <= now)
    .sort(byActivation)
    .at(-1);
}

/** Whether a key must be created: none exists, or the newest is older than the rotation period. */
export function rotationDue(keys: readonly SigningKeyRecord[], now: Date, policy: SigningKeyPolicy): boolean {
  const newest = Math.max(...keys.map((k) => k.createdAt.getTime()));
  return keys.length === 0 || now.getTime() - newest >= policy.rotationMs;
}

/** Keys a verifier may still meet: all but those superseded longer ago than a token lives. */
export function publishedKeys(
  keys: readonly SigningKeyRecord[],
  now: Date,
  policy: SigningKeyPolicy,
): SigningKeyRecord[] {
  const sorted = [...keys].sort(byActivation);
  return sorted.filter((_, i) => {
    const supersededAt = sorted[i + 1]?.activatesAt.getTime();
    return supersededAt === undefined || now.getTime() < supersededAt + policy.tokenLifetimeMs + recheckMs;
  });
}

/** The public JWKS document, newest key first. */
export function jwksDocument(keys: readonly SigningKeyRecord[]): { keys: JWK[] } {
  return {
    keys: [...keys]
      .sort(byActivation)
      .reverse()
      .map((k) => ({ ...k.publicJwk, kid: k.kid, alg: "EdDSA", use: "sig" })),
  };
}

/** A fresh Ed25519 key; its kid is the RFC 7638 thumbprint of its public JWK. */
export async function generateSigningKey(
  kek: KeyEncryptionKey,
  createdAt: Date,
  activatesAt: Date,
): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const { kty, crv, x } = publicKey.export({ format: "jwk" });
  const publicJwk: JWK = { kty: kty!, crv: crv!, x: x! };
  const kid = await calculateJwkThumbprint(publicJwk);
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  return { kid, publicJwk, sealedPrivateKey: seal(kek, der, kid), createdAt, activatesAt };
}

async function readKeys(q: Queryable): Promise<SigningKeyRecord[]> {
  const rows = await q.query<{
    kid: string;
    public_jwk: JWK;
    private_key: Buffer;
    created_at: Date;
    activates_at: Date;
  }>("SELECT kid, public_jwk, private_key, created_at, activates_at FROM signing_keys");
  return rows.map((row) => ({
    kid: row.kid,
    publicJwk: row.public_jwk,
    sealedPrivateKey: row.private_key,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
  }));
}

/**
 * One rotation step, in a transaction under an advisory lock so replicas take turns:
 * creates a key when due (the very first one signs at once) and deletes keys no verifier
 * can need any more. Returns the published keys.
 */
export async function rotateSigningKeys(
  tx: Queryable,
  kek: KeyEncryptionKey,
  now: Date,
  policy: SigningKeyPolicy,
): Promise<SigningKeyRecord[]> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('identity.signing-keys'))");
  const keys = await readKeys(tx);
  if (rotationDue(keys, now, policy)) {
    const activatesAt = new Date(now.getTime() + (keys.length === 0 ? 0 : policy.publishAheadMs));
    const key = await generateSigningKey(kek, now, activatesAt);
    await tx.query(
      "INSERT INTO signing_keys (kid, public_jwk, private_key, created_at, activates_at) VALUES ($1, $2, $3, $4, $5)",
      [key.kid, key.publicJwk, key.sealedPrivateKey, key.createdAt, key.activatesAt],
    );
    keys.push(key);
  }
  const published = publishedKeys(keys, now, policy);
  const expired = keys.filter((k) => !published.includes(k)).map((k) => k.kid);
  if (expired.length > 0) await tx.query("DELETE FROM signing_keys WHERE kid = ANY($1)", [expired]);
  return published;
}

/** What signs a token now. */
export interface ActiveSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

/**
 * A replica's view of the signing keys. It reads the database only when its newest key is
 * due for rotation (at most every `recheckMs`), so a token costs no query; the JWKS is read
 * fresh, since verifiers cache it for its max-age anyway.
 */
export class SigningKeys {
  #keys: SigningKeyRecord[] = [];
  #checkedAt = Number.NEGATIVE_INFINITY;
  readonly #privateKeys = new Map<string, KeyObject>();

  constructor(
    private readonly db: Database,
    private readonly kek: KeyEncryptionKey,
    readonly policy: SigningKeyPolicy,
    private readonly logger: Logger,
  ) {}

  /** The key that signs now; rotates first when due. */
  async current(now = new Date()): Promise<ActiveSigningKey> {
    if (rotationDue(this.#keys, now, this.policy) && now.getTime() - this.#checkedAt >= recheckMs) {
      try {
        this.#keys = await this.db.transaction((tx) => rotateSigningKeys(tx, this.kek, now, this.policy));
      } catch (err) {
        // The current key stays valid well past its rotation age: keep signing, try later.
        if (this.#keys.length === 0) throw err;
        this.logger.warn({ err }, "signing key rotation failed; signing with the current key");
      }
      this.#checkedAt = now.getTime();
    }
    const key = activeKey(this.#keys, now);
    if (!key) throw new Error("no signing key is active; the signing_keys table is empty");
    return { kid: key.kid, privateKey: this.#privateKey(key) };
  }

  async jwks(now = new Date()): Promise<{ keys: JWK[] }> {
    return jwksDocument(publishedKeys(await readKeys(this.db), now, this.policy));
  }

  #privateKey(key: SigningKeyRecord): KeyObject {
    let privateKey = this.#privateKeys.get(key.kid);
    if (!privateKey) {
      const der = open(this.kek, key.sealedPrivateKey, key.kid);
      privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      this.#privateKeys.set(key.kid, privateKey);
    }
    return privateKey;
  }
}
