import { describe, expect, it } from "vitest";
import { overlaps, parseCidr, planSubnets } from "./subnet-plan.js";

const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

describe("planSubnets", () => {
  it("gives a /16 VPC a /18 private and /22 public and isolated subnet per zone", () => {
    expect(planSubnets("10.40.0.0/16", zones)).toEqual([
      { zone: "eu-west-1a", private: "10.40.0.0/18", public: "10.40.192.0/22", isolated: "10.40.204.0/22" },
      { zone: "eu-west-1b", private: "10.40.64.0/18", public: "10.40.196.0/22", isolated: "10.40.208.0/22" },
      { zone: "eu-west-1c", private: "10.40.128.0/18", public: "10.40.200.0/22", isolated: "10.40.212.0/22" },
    ]);
  });

  it.each(["10.0.0.0/16", "172.16.0.0/12", "10.8.16.0/20"])(
    "keeps all nine subnets of %s disjoint and inside the VPC",
    (vpc) => {
      const cidrs = planSubnets(vpc, zones).flatMap((z) => [z.public, z.private, z.isolated]);
      for (const [i, a] of cidrs.entries()) {
        expect(overlaps(a, vpc)).toBe(true);
        expect(parseCidr(a).prefix).toBeGreaterThan(parseCidr(vpc).prefix);
        for (const b of cidrs.slice(i + 1)) expect(overlaps(a, b), `${a} and ${b}`).toBe(false);
      }
    },
  );

  it("refuses a VPC too small for nine subnets", () => {
    expect(() => planSubnets("10.0.0.0/24", zones)).toThrow(/smaller than \/20/);
  });

  it("refuses a CIDR with host bits set and names the aligned block", () => {
    expect(() => planSubnets("10.40.1.0/16", zones)).toThrow(/expected 10\.40\.0\.0\/16/);
  });
});
