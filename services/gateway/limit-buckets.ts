import { createHash } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { normaliseEmail } from "../identity/email.js";
import type { Principal } from "./auth/principal.js";
import type { RouteClass } from "./rate-limit.js";

/**
 * What a request is counted against: the rate-limit buckets of its class.
 *
 * - `auth` (sign-up, login, refresh, logout): the client's address and, when the body names
 *   one, the target email, whatever credentials are sent. Signing login guesses with many
 *   API keys, or spreading them over many addresses, no longer multiplies the guesses.
 * - `read` and `write`: the user (`user:<id>`) whether a token or any of their API keys
 *   authenticates the request, so keys do not multiply a user's budget; anonymous requests
 *   their address.
 */
export function rateLimitBuckets(
  routeClass: RouteClass,
  principal: Principal | undefined,
  address: string,
  body: Buffer,
): string[] {
  if (routeClass === "auth") {
    const email = targetEmail(body);
    return email === undefined ? [address] : [address, emailBucket(email)];
  }
  return [principal ? `user:${principal.userId}` : address];
}

/**
 * The address a client is limited by, `ip:<address>`: an IPv4 address, or the /64 prefix of
 * an IPv6 one, since a single subscriber is routinely given a whole /64 and could otherwise
 * take a fresh address for every request. IPv4-mapped IPv6 addresses count as IPv4.
 */
export function addressBucket(ip: string): string {
  const address = ip.replace(/%.*$/, ""); // a zone id (fe80::1%eth0) names an interface, not a client
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return `ip:${mapped[1]}`;
  if (isIPv4(address) || !isIPv6(address)) return `ip:${address.slice(0, 64)}`;
  return `ip:${ipv6Groups(address).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const width = (part: string) => (part.includes(".") ? 2 : 1); // an embedded IPv4 is two groups
  const [head = "", tail] = address.split("::");
  const before = head ? head.split(":") : [];
  const after = tail ? tail.split(":") : [];
  const missing = 8 - [...before, ...after].reduce((sum, part) => sum + width(part), 0);
  const groups = tail === undefined ? before : [...before, ...Array<string>(missing).fill("0"), ...after];
  return groups.map((group) => (group.includes(".") ? group : Number.parseInt(group, 16).toString(16)));
}

/** The email a sign-up or login body names, as identity spells it; undefined when it names none. */
function targetEmail(body: Buffer): string | undefined {
  if (body.length === 0) return undefined;
  try {
    const email = (JSON.parse(body.toString("utf8")) as { email?: unknown } | null)?.email;
    return typeof email === "string" ? normaliseEmail(email) : undefined;
  } catch {
    return undefined; // malformed JSON is refused after the limit, with its own 400
  }
}

/** A digest, not the address: Redis keys show up in monitoring and slow logs. */
const emailBucket = (email: string) =>
  `email:${createHash("sha256").update(email).digest("base64url").slice(0, 22)}`;
