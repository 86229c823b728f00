/**
 * How long a password may be, apart from the hashing (passwords.ts, which loads argon2), so
 * the gateway's OpenAPI document can state the same bounds without bundling a native module.
 */
export const minPasswordLength = 12;
/** argon2 takes any length; the cap only bounds the work a single request can ask for. */
export const maxPasswordLength = 256;
