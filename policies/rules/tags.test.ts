import { describe, expect, it } from "vitest";
import { check, resource } from "../test/fixtures.js";
import { awsCostTags } from "./tags.js";

const tags = { owner: "platform-team", "cost-center": "cc-4200" };

describe("aws-cost-tags", () => {
  it("passes tagged AWS resources and untaggable types", async () => {
    const run = await check(awsCostTags, [
      resource("aws:ec2/vpc:Vpc", "vpc", { tags }),
      resource("aws:kms/alias:Alias", "alias", { name: "alias/x" }),
      resource("kubernetes:core/v1:Namespace", "ns", {}),
    ]);
    expect(run.violations).toEqual([]);
  });

  it("flags, as advisory, a taggable resource missing a tag or all tags", async () => {
    const run = await check(awsCostTags, [
      resource("aws:ec2/vpc:Vpc", "vpc", { tags: { owner: "platform-team" } }),
      resource("aws:s3/bucket:Bucket", "bucket", {}),
    ]);
    expect(run.violations.map((v) => [v.level, v.message])).toEqual([
      ["advisory", "missing tags: cost-center"],
      ["advisory", "missing tags: owner, cost-center"],
    ]);
  });
});
