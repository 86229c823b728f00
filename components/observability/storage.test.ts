import { describe, expect, it } from "vitest";
import { tlsOnlyBucketPolicy } from "../shared/private-bucket.js";
import { backendAccessPolicy, bucketName, lifecycleRules } from "./storage.js";

const key = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-1111-2222-333344445555";

describe("bucketName", () => {
  it("names a backend's bucket after the stack, the backend and the account", () => {
    expect(bucketName("platform-prod", "tempo", "123456789012")).toBe("platform-prod-tempo-123456789012");
  });

  it("refuses a name S3 would refuse", () => {
    expect(() => bucketName("Platform_Prod", "loki", "123456789012")).toThrow(/not a valid S3 bucket name/);
    expect(() => bucketName("p".repeat(60), "loki", "123456789012")).toThrow(/not a valid S3 bucket name/);
  });
});

describe("tlsOnlyBucketPolicy", () => {
  it("denies every request without TLS to the bucket and to its objects", () => {
    expect(JSON.parse(tlsOnlyBucketPolicy("b")).Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });
});

describe("backendAccessPolicy", () => {
  const statements = JSON.parse(backendAccessPolicy("platform-prod-loki-123456789012", key)).Statement as {
    Action: string[];
    Resource: string;
  }[];

  it("grants object access only inside its own bucket and key use only on its own key", () => {
    expect(statements.map((s) => s.Resource)).toEqual([
      "arn:aws:s3:::platform-prod-loki-123456789012",
      "arn:aws:s3:::platform-prod-loki-123456789012/*",
      key,
    ]);
  });

  it("grants no wildcard action and nothing that changes the bucket or key themselves", () => {
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    expect(
      actions.filter((a) => /Bucket(Policy|Acl)|^s3:Delete(Bucket)$|kms:(Put|Schedule|Create)/.test(a)),
    ).toEqual([]);
    expect(actions).toEqual(
      expect.arrayContaining(["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "kms:GenerateDataKey"]),
    );
  });
});

describe("lifecycleRules", () => {
  it("cleans up after the backends without ever expiring a current object", () => {
    expect(lifecycleRules.map((r) => r.id)).toEqual([
      "abort-incomplete-multipart-uploads",
      "expire-noncurrent-versions",
    ]);
    for (const rule of lifecycleRules) {
      expect(rule.status).toBe("Enabled");
      expect((rule as { expiration?: { days?: number } }).expiration?.days).toBeUndefined();
    }
  });
});
