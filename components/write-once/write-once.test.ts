import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { awsAccountId } from "../../scripts/plan/cloud-facts.js";
import { loadServiceRegistry } from "../../services/registry.js";
import { outputValue, recorded } from "../../test/pulumi.js";
import { validateWriteOnceStorageArgs, WriteOnceStorage, type WriteOnceStorageArgs } from "./write-once.js";

const services = await loadServiceRegistry();
const k8sProvider = new k8s.Provider("wo-k8s", {
  kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
});
const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
const args: WriteOnceStorageArgs = {
  services,
  prefix: "platform-prod",
  region: "eu-west-1",
  irsa: {
    oidcProvider: { arn: `arn:aws:iam::${awsAccountId}:oidc-provider/${issuer}` },
    oidcIssuerUrl: issuer,
  },
  namespace: "platform",
  k8sProvider,
  tags: { owner: "platform-team", "cost-center": "cc-4200" },
};
const bucketName = `platform-prod-audit-write-once-${awsAccountId}`;

describe("WriteOnceStorage", () => {
  const storage = new WriteOnceStorage("wo", args);
  const one = async (type: string) => {
    const found = await recorded(type, storage);
    expect(found, type).toHaveLength(1);
    return found[0]!;
  };

  it("gives the one service that declares write-once (audit) a bucket with Object Lock", async () => {
    expect(Object.keys(storage.buckets)).toEqual(["audit"]);
    const bucket = await one("aws:s3/bucket:Bucket");
    expect(bucket.inputs).toMatchObject({ bucket: bucketName, objectLockEnabled: true });
  });

  it("locks every object in compliance mode for seven years by default", async () => {
    const lock = await one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
    expect(lock.inputs).toMatchObject({
      objectLockEnabled: "Enabled",
      rule: { defaultRetention: { mode: "COMPLIANCE", days: 2555 } },
    });
  });

  it("keeps the bucket private, versioned, TLS-only and encrypted with its own key", async () => {
    expect((await one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")).inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect((await one("aws:s3/bucketVersioning:BucketVersioning")).inputs).toMatchObject({
      versioningConfiguration: { status: "Enabled" },
    });
    const policy = JSON.parse((await one("aws:s3/bucketPolicy:BucketPolicy")).inputs["policy"] as string);
    expect(policy.Statement[0]).toMatchObject({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    const sse = (
      await one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    ).inputs as { rules: { applyServerSideEncryptionByDefault: { sseAlgorithm: string } }[] };
    expect(sse.rules[0]!.applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
    await one("aws:kms/key:Key");
  });

  it("lets audit's service account alone add and read objects: no delete, no retention change", async () => {
    const role = await one("aws:iam/role:Role");
    expect(role.inputs["assumeRolePolicy"]).toContain("system:serviceaccount:platform:audit");
    const policy = JSON.parse((await one("aws:iam/rolePolicy:RolePolicy")).inputs["policy"] as string);
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions.sort()).toEqual([
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
    ]);
    expect(await outputValue(storage.serviceRoleArns["audit"]!)).toMatch(/^arn:aws:iam::/);
  });

  it("tells audit its bucket in the ConfigMap audit-write-once", async () => {
    const map = await one("kubernetes:core/v1:ConfigMap");
    expect(map.inputs).toMatchObject({
      metadata: { name: "audit-write-once", namespace: "platform" },
      data: { url: `s3://${bucketName}/`, region: "eu-west-1" },
    });
  });

  it("refuses a registry without a write-once service, and a retention of no days", () => {
    const none = services.map((s) => ({ ...s, stores: s.stores.filter((x) => x !== "write-once") }));
    expect(() => validateWriteOnceStorageArgs({ ...args, services: none })).toThrow(/write-once/);
    expect(() => validateWriteOnceStorageArgs({ ...args, retentionDays: 0 })).toThrow(
      /whole number of days from 1 to 36500, got 0/,
    );
  });
});
