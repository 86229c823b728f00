/**
 * Email addresses as identity stores and compares them. Pure, so the gateway limits login
 * attempts per address under exactly the spelling identity looks accounts up by.
 */

/** One spelling per address: trimmed, Unicode NFC, lower case (mail providers ignore case). */
export function normaliseEmail(raw: string): string {
  return raw.trim().normalize("NFC").toLowerCase();
}

/** Why a normalised address is refused, or undefined. Deliberately plain: delivery is the real test. */
export function emailProblem(email: string): string | undefined {
  if (email === "") return "required";
  if (email.length > 254) return "at most 254 characters";
  if (/\p{Cc}/u.test(email)) return "must not contain control characters";
  const at = email.lastIndexOf("@");
  if (at < 1 || at > 64 || !/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(email))
    return 'not an email address such as "ada@example.com"';
  return undefined;
}
