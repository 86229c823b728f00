import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { z } from "zod";

/**
 * Ed25519 keys made from a 32-byte seed in base64, the form every generated secret takes
 * (`key-256-base64` in contracts/service-spec.ts): the Pulumi program's `random.RandomBytes`, local
 * mode and tests make seeds the same way, and the public key is derived from the seed
 * wherever it is needed (RFC 8032: the seed is the private key).
 */

/** RFC 8410's PKCS #8 wrapping of an Ed25519 seed: this prefix, then the 32 bytes. */
const pkcs8Prefix = Buffer.from("302e020100300506032b657004220420", "hex");

function seedBytes(seed: string): Buffer | undefined {
  const bytes = Buffer.from(seed.trim(), "base64");
  return bytes.length === 32 && bytes.toString("base64") === seed.trim() ? bytes : undefined;
}

/** The private key of a seed; throws unless the seed is 32 bytes of base64. */
export function privateKeyFromSeed(seed: string): KeyObject {
  const bytes = seedBytes(seed);
  if (!bytes) throw new Error("an Ed25519 seed must be 32 random bytes in base64");
  return createPrivateKey({ key: Buffer.concat([pkcs8Prefix, bytes]), format: "der", type: "pkcs8" });
}

/** The public key of a seed as its 32 raw bytes in base64url (a JWK's `x`). */
export function publicKeyFromSeed(seed: string): string {
  const jwk = createPublicKey(privateKeyFromSeed(seed)).export({ format: "jwk" });
  return jwk.x!;
}

/** A public key from its base64url form; undefined unless it is 32 bytes. */
export function publicKeyObject(x: string): KeyObject | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(x)) return undefined;
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  } catch {
    return undefined;
  }
}

export const ed25519Sign = (key: KeyObject, data: Buffer | string): Buffer =>
  sign(null, typeof data === "string" ? Buffer.from(data) : data, key);

export const ed25519Verify = (key: KeyObject, data: Buffer | string, signature: Buffer): boolean =>
  verify(null, typeof data === "string" ? Buffer.from(data) : data, key, signature);

/** An env variable holding a seed: required, checked and turned into the private key at start. */
export const seedVariable = (purpose: string) =>
  z
    .string()
    .refine((v) => seedBytes(v) !== undefined, {
      error: "must be an Ed25519 seed: 32 random bytes in base64 (openssl rand -base64 32)",
    })
    .transform((v) => ({ privateKey: privateKeyFromSeed(v), publicKey: publicKeyFromSeed(v) }))
    .describe(purpose);
