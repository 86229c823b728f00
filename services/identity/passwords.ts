import { randomBytes } from "node:crypto";
import { type Algorithm, hash, parseOptions, verify } from "@node-rs/argon2";
import { maxPasswordLength, minPasswordLength } from "./password-rules.js";

/**
 * argon2id with OWASP's baseline for it (Password Storage Cheat Sheet): 19 MiB of memory,
 * 2 passes, 1 lane. Tens of milliseconds on one core here; memory-hard, so a GPU farm pays in RAM
 * for every guess. 19 MiB per concurrent login stays well inside the pod's 512 MiB limit.
 * The parameters are stored in each PHC hash, so raising them later needs no migration:
 * `needsRehash` tells login to re-hash with the current ones.
 */
export const argon2Parameters = {
  // Argon2id: the package's Algorithm is a const enum, absent at run time (an empty object).
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export { maxPasswordLength, minPasswordLength } from "./password-rules.js";

/** Why a password is refused, or undefined when it is acceptable for this email. */
export function passwordProblem(password: string, normalisedEmail: string): string | undefined {
  const length = [...password].length;
  if (length < minPasswordLength) return `at least ${minPasswordLength} characters`;
  if (length > maxPasswordLength) return `at most ${maxPasswordLength} characters`;
  if (normalisedEmail && password.trim().toLowerCase().includes(normalisedEmail))
    return "must not contain the email address";
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Parameters);
}

/** A hash of a password nobody knows, made once: unknown emails are verified against it. */
let dummyPasswordHash: Promise<string> | undefined;

/**
 * Checks a password against a stored hash. An unknown user (no hash) costs one full
 * argon2id verification too and never matches, so timing does not reveal which emails exist.
 */
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  dummyPasswordHash ??= hashPassword(randomBytes(32).toString("base64url"));
  const ok = await verify(passwordHash ?? (await dummyPasswordHash), password).catch(() => false);
  return ok && passwordHash !== undefined;
}

/** Whether a stored hash was made with other parameters than today's. */
export function needsRehash(passwordHash: string): boolean {
  try {
    const used = parseOptions(passwordHash);
    return (
      used.algorithm !== argon2Parameters.algorithm ||
      used.memoryCost !== argon2Parameters.memoryCost ||
      used.timeCost !== argon2Parameters.timeCost ||
      used.parallelism !== argon2Parameters.parallelism
    );
  } catch {
    return true;
  }
}
