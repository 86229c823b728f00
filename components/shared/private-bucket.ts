import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { type Tags, tagged } from "./tags.js";

export const bucketArn = (name: string) => `arn:aws:s3:::${name}`;

/** Denies every request that does not use TLS, to the bucket and to its objects. */
export function tlsOnlyBucketPolicy(name: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn(name), `${bucketArn(name)}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

export interface PrivateBucketArgs {
  /** The bucket's global name. */
  readonly bucket: pulumi.Input<string>;
  /** The KMS key every object is encrypted with (SSE-KMS, bucket keys on). */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Object Lock can only be enabled when a bucket is created. Default: false. */
  readonly objectLock?: boolean;
  readonly tags: Tags;
}

/**
 * An S3 bucket nobody outside the account reaches: bucket-owner-enforced ownership, every
 * public access blocked, SSE-KMS with its own key, versioning, and a policy refusing plain
 * HTTP. The children share `name`, so each is found by the bucket's logical name.
 */
export function createPrivateBucket(
  name: string,
  args: PrivateBucketArgs,
  parent: pulumi.Resource,
): aws.s3.Bucket {
  const bucket = new aws.s3.Bucket(
    name,
    {
      bucket: args.bucket,
      ...(args.objectLock ? { objectLockEnabled: true } : {}),
      tags: tagged(args.tags, name),
    },
    { parent },
  );
  const id = bucket.id;
  new aws.s3.BucketOwnershipControls(
    name,
    { bucket: id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    { parent },
  );
  new aws.s3.BucketPublicAccessBlock(
    name,
    {
      bucket: id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    { parent },
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: id,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
          bucketKeyEnabled: true,
        },
      ],
    },
    { parent },
  );
  new aws.s3.BucketVersioning(
    name,
    { bucket: id, versioningConfiguration: { status: "Enabled" } },
    { parent },
  );
  new aws.s3.BucketPolicy(name, { bucket: id, policy: bucket.bucket.apply(tlsOnlyBucketPolicy) }, { parent });
  return bucket;
}
