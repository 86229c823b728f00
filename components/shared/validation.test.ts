import { describe, expect, it } from "vitest";
import { requireNamespaceName, requireWholeNumber } from "./validation.js";

describe("requireWholeNumber", () => {
  it("accepts whole numbers within the bounds, both included", () => {
    for (const value of [7, 20, 35])
      expect(() => requireWholeNumber(value, "days", { min: 7, max: 35, unit: "days" })).not.toThrow();
    expect(() => requireWholeNumber(1_000_000, "partitions", { min: 1 })).not.toThrow();
  });

  it("refuses a fraction, a value below the minimum or above the maximum, naming the range", () => {
    expect(() => requireWholeNumber(1.5, "brokersPerZone", { min: 1 })).toThrow(
      "expected an integer from 1 upwards, got 1.5",
    );
    expect(() => requireWholeNumber(6, "backupRetentionDays", { min: 7, max: 35, unit: "days" })).toThrow(
      "expected a whole number of days from 7 to 35, got 6",
    );
    expect(() => requireWholeNumber(36, "backupRetentionDays", { min: 7, max: 35 })).toThrow(/from 7 to 35/);
    expect(() => requireWholeNumber(Number.NaN, "partitions", { min: 1 })).toThrow(/got NaN/);
  });
});

describe("requireNamespaceName", () => {
  it("accepts RFC 1123 labels of up to 63 characters", () => {
    for (const name of ["platform", "a", "team-1", "x".repeat(63)])
      expect(() => requireNamespaceName(name)).not.toThrow();
  });

  it("refuses upper case, underscores, edge hyphens and names over 63 characters", () => {
    for (const name of ["Platform", "team_1", "-team", "team-", "", "x".repeat(64)])
      expect(() => requireNamespaceName(name)).toThrow(/not a Kubernetes namespace name/);
  });
});
