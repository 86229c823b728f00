import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures: `Platform-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the
 * HMAC key is the webhook's signing secret (the string CreateWebhook returned, as UTF-8
 * bytes) and the message is `<t>.<raw body>`. Binding the timestamp into the MAC lets a
 * receiver refuse replays older than its tolerance. README.md shows a worked example.
 */
export const signatureHeader = "platform-signature";

/** The default window, in seconds, in which a receiver accepts a signature's timestamp. */
export const defaultToleranceSeconds = 300;

const mac = (secret: string, timestamp: string, body: string | Uint8Array) =>
  createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();

/** The header value for `body` signed at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string | Uint8Array, timestamp: number): string {
  return `t=${timestamp},v1=${mac(secret, String(timestamp), body).toString("hex")}`;
}

export interface SignedWebhook {
  readonly secret: string;
  /** The Platform-Signature header as received. */
  readonly header: string | undefined;
  /** The raw request body, byte for byte as received (not re-serialised JSON). */
  readonly body: string | Uint8Array;
  readonly toleranceSeconds?: number;
  /** The receiver's clock, unix seconds; default now. */
  readonly now?: number;
}

/**
 * Whether a delivery is authentic and fresh: the timestamp is within the tolerance and one
 * of the `v1` signatures (several may be sent while a secret rotates) matches, compared in
 * constant time. Any malformed header is simply not valid.
 */
export function verifyWebhookSignature(input: SignedWebhook): boolean {
  const { secret, header, body, toleranceSeconds = defaultToleranceSeconds } = input;
  if (!header) return false;
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const [key, value = ""] = part.trim().split("=", 2) as [string, string?];
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = value;
    if (key === "v1" && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, "hex"));
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > toleranceSeconds) return false;
  const expected = mac(secret, timestamp, body);
  return signatures.some((candidate) => timingSafeEqual(candidate, expected));
}
