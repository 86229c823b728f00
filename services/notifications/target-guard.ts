import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * The SSRF guard: a webhook URL is a request our network makes on a stranger's behalf, so
 * it may only reach public unicast addresses over HTTPS. It runs when a webhook is created
 * and again before every delivery (DNS answers change), and the delivery connects to the
 * very address that was checked (see post-webhook.ts), so a rebinding name cannot swap in a
 * private address between check and connect.
 *
 * Hostnames are resolved with the system resolver (getaddrinfo, as a connect would) and
 * every answer must pass: one private address among public ones refuses the URL. IP
 * literals in odd forms (decimal, octal, hex, IPv4-mapped IPv6) are normalised by the WHATWG
 * URL parser before they are checked, and resolved answers are parsed here, so no spelling
 * of 127.0.0.1 gets through.
 */

export type AddressFamily = 4 | 6;

export interface ResolvedAddress {
  readonly address: string;
  readonly family: AddressFamily;
}

/** Resolves a hostname to every address a connect could use. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

export interface TargetPolicy {
  /**
   * Local mode and tests only: allows http:// and private, loopback and link-local targets
   * (NOTIFICATIONS_ALLOW_PRIVATE_TARGETS=true). Resolution and pinning still happen.
   */
  readonly allowPrivate: boolean;
  readonly resolve?: Resolver;
}

/** A checked target: the URL to request and the address to connect to. */
export interface Target {
  readonly url: URL;
  readonly address: string;
  readonly family: AddressFamily;
}

/** What a caller is told when the refusal rests on what our DNS answered. */
export const targetNotAllowed = "target not allowed (the host must resolve to public addresses only)";
const cannotCheckNow = "the target cannot be checked now; try again later";

/**
 * Why a URL may not be a webhook target. `reason` is the whole story, for our logs;
 * `publicReason` is what the webhook's owner may read. They differ when the refusal rests
 * on what our resolver answered (`fromDns`): naming the address, or telling "does not
 * resolve" from "resolves to a private address", would let anyone map our internal DNS
 * ("internal.example.com resolves to 172.20.3.4") one webhook at a time. `temporary` when
 * DNS failed rather than answered.
 */
export class TargetRefused extends Error {
  override readonly name = "TargetRefused";
  readonly temporary: boolean;
  readonly fromDns: boolean;
  constructor(
    readonly reason: string,
    options: { readonly temporary?: boolean; readonly fromDns?: boolean } = {},
  ) {
    super(reason);
    this.temporary = options.temporary ?? false;
    this.fromDns = options.fromDns ?? this.temporary;
  }

  get publicReason(): string {
    if (this.temporary) return cannotCheckNow;
    return this.fromDns ? targetNotAllowed : this.reason;
  }
}

// --- address ranges ---------------------------------------------------------------------

/** IPv4 special-purpose ranges (IANA registry) that are never a webhook receiver. */
const ipv4Ranges: readonly (readonly [string, number, string])[] = [
  ["0.0.0.0", 8, "an unspecified address"],
  ["10.0.0.0", 8, "a private address (RFC 1918)"],
  ["100.64.0.0", 10, "a shared carrier-grade NAT address (RFC 6598)"],
  ["127.0.0.0", 8, "a loopback address"],
  ["169.254.0.0", 16, "a link-local address (incl. the cloud metadata service)"],
  ["172.16.0.0", 12, "a private address (RFC 1918)"],
  ["192.0.0.0", 24, "a reserved address (IETF protocol assignments)"],
  ["192.0.2.0", 24, "a reserved address (documentation)"],
  ["192.88.99.0", 24, "a reserved address (6to4 relay anycast)"],
  ["192.168.0.0", 16, "a private address (RFC 1918)"],
  ["198.18.0.0", 15, "a reserved address (benchmarking)"],
  ["198.51.100.0", 24, "a reserved address (documentation)"],
  ["203.0.113.0", 24, "a reserved address (documentation)"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved address (incl. broadcast)"],
];

/** IPv6 special-purpose ranges; anything else outside 2000::/3 is refused as well. */
const ipv6Ranges: readonly (readonly [string, number, string])[] = [
  ["::", 128, "an unspecified address"],
  ["::1", 128, "a loopback address"],
  ["64:ff9b:1::", 48, "a reserved address (local-use NAT64)"],
  ["100::", 64, "a reserved address (discard-only)"],
  ["2001::", 23, "a reserved address (IETF protocol assignments, incl. Teredo)"],
  ["2001:db8::", 32, "a reserved address (documentation)"],
  ["2002::", 16, "a reserved address (6to4 tunnels to any IPv4 address)"],
  ["3fff::", 20, "a reserved address (documentation)"],
  ["5f00::", 16, "a reserved address (SRv6)"],
  ["fc00::", 7, "a unique local (private) address"],
  ["fe80::", 10, "a link-local address"],
  ["fec0::", 10, "a site-local address (deprecated)"],
  ["ff00::", 8, "a multicast address"],
];

function ipv4ToBigInt(address: string): bigint | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255))
    return undefined;
  return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n);
}

function ipv6ToBigInt(text: string): bigint | undefined {
  const address = text.replace(/%.*$/, ""); // a zone id (fe80::1%eth0) names an interface, not an address
  if (isIP(address) !== 6) return undefined;
  const groups = (part: string): number[] => {
    if (part === "") return [];
    return part.split(":").flatMap((g) => {
      if (!g.includes(".")) return [Number.parseInt(g, 16)];
      const v4 = Number(ipv4ToBigInt(g));
      return [v4 >>> 16, v4 & 0xffff];
    });
  };
  const [head = "", tail] = address.split("::");
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  return all.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}

const inRange = (value: bigint, bits: number, prefix: bigint, length: number) =>
  value >> BigInt(bits - length) === prefix >> BigInt(bits - length);

const compiled = (ranges: typeof ipv4Ranges, parse: (a: string) => bigint | undefined) =>
  ranges.map(([prefix, length, reason]) => ({ prefix: parse(prefix)!, length, reason }));
const ipv4Table = compiled(ipv4Ranges, ipv4ToBigInt);
const ipv6Table = compiled(ipv6Ranges, ipv6ToBigInt);

const bigIntToIpv4 = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join(".");

function ipv4Problem(value: bigint): string | undefined {
  return ipv4Table.find((r) => inRange(value, 32, r.prefix, r.length))?.reason;
}

/**
 * Why `address` (an IPv4 or IPv6 literal) may not be a webhook target, or undefined for a
 * public unicast address. IPv4 embedded in IPv6 (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96)
 * is judged as the IPv4 address it reaches.
 */
export function forbiddenAddress(address: string): string | undefined {
  const v4 = ipv4ToBigInt(address);
  if (v4 !== undefined) return ipv4Problem(v4);
  const v6 = ipv6ToBigInt(address);
  if (v6 === undefined) return "not an IP address";
  for (const [prefix, label] of [
    [0xffff_0000_0000n, "IPv4-mapped"],
    [0x0064_ff9b_0000_0000_0000_0000_0000_0000n, "NAT64"],
  ] as const) {
    if (inRange(v6, 128, prefix, 96)) {
      const embedded = v6 & 0xffff_ffffn;
      const problem = ipv4Problem(embedded);
      return problem && `${label} ${bigIntToIpv4(embedded)}, ${problem}`;
    }
  }
  const special = ipv6Table.find((r) => inRange(v6, 128, r.prefix, r.length));
  if (special) return special.reason;
  return inRange(v6, 128, 0x2n << 124n, 3) ? undefined : "a reserved address (not global unicast)";
}

// --- URLs -------------------------------------------------------------------------------

const isLocalhostName = (host: string) => host === "localhost" || host.endsWith(".localhost");

async function resolveAll(hostname: string, resolve: Resolver): Promise<ResolvedAddress[]> {
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(hostname);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    if (code === "ENOTFOUND" || code === "ENODATA")
      throw new TargetRefused(`the host ${hostname} does not resolve (${code})`, { fromDns: true });
    throw new TargetRefused(`the host ${hostname} could not be resolved now (${code}); try again`, {
      temporary: true,
    });
  }
  if (addresses.length === 0)
    throw new TargetRefused(`the host ${hostname} does not resolve`, { fromDns: true });
  return addresses;
}

/**
 * Checks a webhook URL and resolves the address to connect to; throws TargetRefused with
 * the reason ("the host x resolves to 10.0.0.5, a private address ...") and what the
 * caller may be told of it.
 */
export async function checkTarget(raw: string, policy: TargetPolicy): Promise<Target> {
  if (!URL.canParse(raw)) throw new TargetRefused("not an absolute URL");
  const url = new URL(raw);
  if (url.protocol !== "https:" && !(policy.allowPrivate && url.protocol === "http:"))
    throw new TargetRefused(
      policy.allowPrivate ? "the scheme must be https or http" : "the scheme must be https",
    );
  if (url.username || url.password) throw new TargetRefused("the URL must not carry credentials");
  if (url.hash) throw new TargetRefused("the URL must not have a fragment");
  // WHATWG URL has already turned 0177.0.0.1, 2130706433 and 0x7f.1 into 127.0.0.1.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  if (!policy.allowPrivate && isLocalhostName(hostname))
    throw new TargetRefused(`the host ${hostname} is a loopback name`);

  const literal = isIP(hostname);
  const addresses: ResolvedAddress[] = literal
    ? [{ address: hostname, family: literal === 6 ? 6 : 4 }]
    : await resolveAll(hostname, policy.resolve ?? systemResolver);
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const problem = forbiddenAddress(address);
      if (problem && literal) throw new TargetRefused(`${address} is ${problem}`);
      if (problem)
        throw new TargetRefused(`the host ${hostname} resolves to ${address}, ${problem}`, { fromDns: true });
    }
  }
  const [first] = addresses as [ResolvedAddress];
  return { url, address: first.address, family: first.family };
}
