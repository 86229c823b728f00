/**
 * The subnet layout of the VPC, decided once and tested without any cloud: per zone a
 * large private subnet (pods take VPC addresses under the VPC CNI), and a small public and
 * isolated (data) subnet. For a /16 that is a /18 private and /22 public and isolated.
 */
export type Tier = "public" | "private" | "isolated";

export interface ZoneSubnets {
  readonly zone: string;
  readonly public: string;
  readonly private: string;
  readonly isolated: string;
}

function toInt(address: string): number {
  return address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function toAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Splits a CIDR into its base address as an integer and its prefix length. */
export function parseCidr(cidr: string): { base: number; prefix: number } {
  const [address, prefix] = cidr.split("/");
  const bits = Number(prefix);
  const base = toInt(address ?? "");
  if (!address || !Number.isInteger(bits) || bits < 0 || bits > 32)
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  if (base % 2 ** (32 - bits) !== 0)
    throw new Error(
      `${cidr} has host bits set; expected ${toAddress(base - (base % 2 ** (32 - bits)))}/${bits}`,
    );
  return { base, prefix: bits };
}

/** True when two CIDR blocks share any address. */
export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const xEnd = x.base + 2 ** (32 - x.prefix);
  const yEnd = y.base + 2 ** (32 - y.prefix);
  return x.base < yEnd && y.base < xEnd;
}

/**
 * Lays out three zones' subnets inside `vpcCidr`: private subnets fill the first three
 * quarters; public then isolated subnets share the last quarter, 1/64 of the VPC each.
 */
export function planSubnets(vpcCidr: string, zones: readonly string[]): ZoneSubnets[] {
  const { base, prefix } = parseCidr(vpcCidr);
  if (prefix > 20)
    throw new Error(`VPC CIDR ${vpcCidr} is smaller than /20; nine subnets need at least a /20`);
  const size = 2 ** (32 - prefix);
  const privateSize = size / 4;
  const edgeSize = size / 64;
  const lastQuarter = base + 3 * privateSize;
  const block = (start: number, blockSize: number) => `${toAddress(start)}/${32 - Math.log2(blockSize)}`;
  return zones.map((zone, i) => ({
    zone,
    private: block(base + i * privateSize, privateSize),
    public: block(lastQuarter + i * edgeSize, edgeSize),
    isolated: block(lastQuarter + (zones.length + i) * edgeSize, edgeSize),
  }));
}
