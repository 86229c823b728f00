/**
 * The facts a real cloud would answer with, for offline plans and tests. They look like
 * the real thing (shapes, formats, Cloudflare's published ranges) so that code consuming
 * them is exercised as it would be against AWS and Cloudflare.
 */
export const awsAccountId = "123456789012";

/** Cloudflare's published origin ranges (https://www.cloudflare.com/ips/). */
export const cloudflareIpRanges = {
  ipv4CidrBlocks: [
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
  ],
  ipv6CidrBlocks: [
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
  ],
};

/** The zones AWS reports for a region: its name with the suffixes a, b and c. */
export function availabilityZones(region: string) {
  const suffixes = ["a", "b", "c"];
  return {
    id: region,
    names: suffixes.map((s) => `${region}${s}`),
    zoneIds: suffixes.map((_, i) => `${region.replace(/-/g, "").slice(0, 4)}-az${i + 1}`),
    groupNames: suffixes.map(() => region),
    state: "available",
  };
}
