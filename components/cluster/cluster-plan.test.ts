import { describe, expect, it } from "vitest";
import {
  amiTypeFor,
  podSecurityLabels,
  requireLogRetention,
  requireNodeScaling,
  requirePublicAccessCidrs,
} from "./cluster-plan.js";

const nodes = {
  instanceTypes: ["m7i.xlarge"],
  minPerZone: 1,
  desiredPerZone: 2,
  maxPerZone: 3,
  diskSizeGiB: 100,
};

describe("requirePublicAccessCidrs", () => {
  it("accepts listed networks", () => {
    expect(() => requirePublicAccessCidrs(["203.0.113.0/24", "198.51.100.16/28"])).not.toThrow();
  });

  it.each(["0.0.0.0/0", "10.0.0.0/0"])("refuses %s, which is the whole internet", (cidr) => {
    expect(() => requirePublicAccessCidrs(["203.0.113.0/24", cidr])).toThrow(/whole internet/);
  });

  it("refuses an empty list", () => {
    expect(() => requirePublicAccessCidrs([])).toThrow(/at least one CIDR/);
  });

  it.each(["203.0.113.0", "300.0.113.0/24", "203.0.113.0/33", "::/0"])(
    "refuses %s, not an IPv4 CIDR",
    (cidr) => {
      expect(() => requirePublicAccessCidrs([cidr])).toThrow(/not an IPv4 CIDR/);
    },
  );
});

describe("requireNodeScaling", () => {
  it("accepts min <= desired <= max", () => {
    expect(() => requireNodeScaling(nodes)).not.toThrow();
  });

  it.each([
    { minPerZone: 3, desiredPerZone: 2 },
    { desiredPerZone: 4 },
    { minPerZone: 0, desiredPerZone: 0, maxPerZone: 0 },
  ])("refuses %j", (change) => {
    expect(() => requireNodeScaling({ ...nodes, ...change })).toThrow();
  });

  it("refuses a root volume too small for the AMI", () => {
    expect(() => requireNodeScaling({ ...nodes, diskSizeGiB: 8 })).toThrow(/at least 20 GiB/);
  });

  it("refuses no instance type", () => {
    expect(() => requireNodeScaling({ ...nodes, instanceTypes: [] })).toThrow(/at least one/);
  });
});

describe("amiTypeFor", () => {
  it.each([
    [["m7i.xlarge", "m6i.xlarge"], "AL2023_x86_64_STANDARD"],
    [["m7a.large", "g5.xlarge", "m5.large"], "AL2023_x86_64_STANDARD"],
    [["m7g.xlarge", "c7gn.large", "r6gd.large", "im4gn.large"], "AL2023_ARM_64_STANDARD"],
  ])("runs %j on %s", (types, ami) => {
    expect(amiTypeFor(types)).toBe(ami);
  });

  it("refuses mixing architectures in one node group", () => {
    expect(() => amiTypeFor(["m7g.xlarge", "m7i.xlarge"])).toThrow(/mixes arm64/);
  });
});

describe("podSecurityLabels", () => {
  it("enforces, audits and warns on restricted, pinned to the cluster version", () => {
    expect(podSecurityLabels("1.33")).toEqual({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "v1.33",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "v1.33",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "v1.33",
    });
  });
});

describe("requireLogRetention", () => {
  it.each([90, 365, 3653])("accepts %i days", (days) => {
    expect(() => requireLogRetention(days)).not.toThrow();
  });

  it.each([0, 100, 4000])("refuses %i days", (days) => {
    expect(() => requireLogRetention(days)).toThrow(/CloudWatch keeps logs/);
  });
});
