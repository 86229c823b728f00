import { describe, expect, it } from "vitest";
import {
  imageReference,
  keptReleases,
  lifecyclePolicy,
  repositoryName,
  requireReleaseVersion,
} from "./image.js";

describe("images", () => {
  it("accept a dated release of a commit and refuse latest or a bare tag", () => {
    expect(() => requireReleaseVersion("2026.11.25-1a2b3c4")).not.toThrow();
    for (const version of ["latest", "1.0", "2026.11.25", "2026.11.25-latest", "2026-11-25-1a2b3c4"])
      expect(() => requireReleaseVersion(version), version).toThrow(/release version/);
  });

  it("name the image by repository and release", () => {
    expect(
      imageReference(
        `1.dkr.ecr.eu-west-1.amazonaws.com/${repositoryName("platform-prod", "orders")}`,
        "2026.11.25-1a2b3c4",
      ),
    ).toBe("1.dkr.ecr.eu-west-1.amazonaws.com/platform-prod/orders:2026.11.25-1a2b3c4");
  });

  it("expire untagged layers first, then keep the newest releases", () => {
    const { rules } = JSON.parse(lifecyclePolicy()) as {
      rules: { rulePriority: number; selection: Record<string, unknown> }[];
    };
    expect(rules.map((r) => r.rulePriority)).toEqual([1, 2]);
    expect(rules[0]!.selection).toMatchObject({ tagStatus: "untagged", countType: "sinceImagePushed" });
    expect(rules[1]!.selection).toMatchObject({ countType: "imageCountMoreThan", countNumber: keptReleases });
  });
});
