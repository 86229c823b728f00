import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * Envelope encryption of the secrets a service must use again (identity's token and API
 * signing keys, notifications' webhook signing secrets): AES-256-GCM under the service's
 * key-encryption key (KEK) from the environment, so the database holds only ciphertext.
 * The associated data binds each ciphertext to its row (a kid, a key id, a webhook id): a
 * sealed value copied to another row does not open.
 *
 * Layout: version (1 byte) | nonce (12) | tag (16) | ciphertext. The version byte leaves
 * room for KEK rotation (a second KEK, re-sealing) without guessing at old rows.
 */
const version = 1;
const nonceBytes = 12;
const tagBytes = 16;

export type KeyEncryptionKey = Buffer & { readonly __kek: unique symbol };

/** The KEK from its base64 form (`openssl rand -base64 32`), or undefined unless exactly 32 bytes. */
export function parseKeyEncryptionKey(base64: string): KeyEncryptionKey | undefined {
  const key = Buffer.from(base64.trim(), "base64");
  return key.length === 32 && key.toString("base64") === base64.trim()
    ? (key as KeyEncryptionKey)
    : undefined;
}

/**
 * The env variable holding a KEK: required, validated and parsed at start; a bad value is
 * refused without being printed (the variable name contains KEY).
 */
export const keyEncryptionKeyVariable = (purpose: string) =>
  z
    .string()
    .refine((v) => parseKeyEncryptionKey(v) !== undefined, {
      error: "must be 32 random bytes in base64 (openssl rand -base64 32)",
    })
    .transform((v) => parseKeyEncryptionKey(v)!)
    .describe(purpose);

export function seal(kek: KeyEncryptionKey, plaintext: Uint8Array, boundTo: string): Buffer {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv("aes-256-gcm", kek, nonce);
  cipher.setAAD(Buffer.from(boundTo));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(version), nonce, cipher.getAuthTag(), ciphertext]);
}

/** Decrypts and authenticates; throws when the KEK, the binding or any byte is wrong. */
export function open(kek: KeyEncryptionKey, sealed: Uint8Array, boundTo: string): Buffer {
  const box = Buffer.from(sealed);
  if (box[0] !== version || box.length < 1 + nonceBytes + tagBytes)
    throw new Error(`sealed secret for ${boundTo} has an unknown format (version ${box[0]})`);
  const decipher = createDecipheriv("aes-256-gcm", kek, box.subarray(1, 1 + nonceBytes));
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(box.subarray(1 + nonceBytes, 1 + nonceBytes + tagBytes));
  return Buffer.concat([decipher.update(box.subarray(1 + nonceBytes + tagBytes)), decipher.final()]);
}
