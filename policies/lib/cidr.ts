/** CIDR arithmetic for IPv4 and IPv6: is one range inside another. */

interface Range {
  readonly v6: boolean;
  readonly network: bigint;
  readonly prefix: number;
}

function parseAddress(address: string, v6: boolean): bigint | undefined {
  if (!v6) {
    const parts = address.split(".");
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
  }
  const [head = "", tail, ...rest] = address.split("::");
  if (rest.length > 0) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const all = [...left, ...Array<string>(missing).fill("0"), ...right];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Parses "10.0.0.0/16" or "2606:4700::/32"; undefined when it is not a CIDR. */
export function parseCidr(cidr: string): Range | undefined {
  const [address = "", bits] = cidr.trim().split("/");
  const v6 = address.includes(":");
  const width = v6 ? 128 : 32;
  const prefix = bits === undefined ? width : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return undefined;
  const value = parseAddress(address, v6);
  if (value === undefined) return undefined;
  const hostBits = BigInt(width - prefix);
  return { v6, prefix, network: (value >> hostBits) << hostBits };
}

/** True when every address of `inner` is also in `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  if (!a || !b || a.v6 !== b.v6 || a.prefix < b.prefix) return false;
  const hostBits = BigInt((b.v6 ? 128 : 32) - b.prefix);
  return a.network >> hostBits === b.network >> hostBits;
}

/** The ranges that mean "anyone on the internet". */
export const isOpenToTheWorld = (cidr: string) => parseCidr(cidr)?.prefix === 0;

/** Private (RFC 1918, RFC 6598 shared, IPv6 unique-local) ranges: never reachable from the internet. */
export const privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"];
export const isPrivateCidr = (cidr: string) => privateRanges.some((range) => cidrWithin(cidr, range));
