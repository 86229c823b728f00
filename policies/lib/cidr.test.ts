import { describe, expect, it } from "vitest";
import { cidrWithin, isPrivateCidr, parseCidr } from "./cidr.js";

describe("CIDR ranges", () => {
  it.each([
    ["104.16.1.0/24", "104.16.0.0/13", true],
    ["104.24.0.0/13", "104.16.0.0/13", false],
    ["104.16.0.0/12", "104.16.0.0/13", false],
    ["2606:4700:10::/48", "2606:4700::/32", true],
    ["2606:4701::/32", "2606:4700::/32", false],
    ["10.0.0.0/8", "2606:4700::/32", false],
  ])("%s within %s: %s", (inner, outer, expected) => {
    expect(cidrWithin(inner, outer)).toBe(expected);
  });

  it("tells private ranges from public ones", () => {
    expect(["10.40.0.0/16", "172.20.0.0/16", "fd00::/8"].map(isPrivateCidr)).toEqual([true, true, true]);
    expect(["0.0.0.0/0", "203.0.113.0/24", "::/0"].map(isPrivateCidr)).toEqual([false, false, false]);
  });

  it("rejects what is not a CIDR", () => {
    expect([parseCidr("10.0.0.256/8"), parseCidr("10.0.0.0/33"), parseCidr("1::2::3/64")]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
