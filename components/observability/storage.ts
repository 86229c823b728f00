/**
 * The S3 side of the observability backends, as pure decisions: bucket names, the bucket
 * policy that refuses plain HTTP, the least-privilege policy of each backend's IRSA role,
 * and the lifecycle rules. Retention of the data itself is the backends' job (their
 * compactors delete expired blocks and chunks); S3 lifecycle only cleans up after them.
 */
import { bucketArn } from "../shared/private-bucket.js";
import type { StorageBackend } from "./backends.js";

/** `<prefix>-<backend>-<account>`: global S3 names stay unique per account and stack. */
export function bucketName(prefix: string, backend: StorageBackend, accountId: string): string {
  const name = `${prefix}-${backend}-${accountId}`;
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name))
    throw new Error(`"${name}" is not a valid S3 bucket name (3-63 lowercase letters, digits, hyphens)`);
  return name;
}

/**
 * What a backend's service account may do: list its own bucket, read, write and delete its
 * objects, and use its bucket's key for SSE-KMS (data keys and decryption), nothing else.
 */
export function backendAccessPolicy(name: string, kmsKeyArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ListOwnBucket",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: bucketArn(name),
      },
      {
        Sid: "ReadWriteOwnObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        Resource: `${bucketArn(name)}/*`,
      },
      {
        Sid: "UseOwnKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: kmsKeyArn,
      },
    ],
  });
}

/** Days a deleted or overwritten object stays recoverable as a noncurrent version. */
export const noncurrentVersionDays = 7;

/**
 * Lifecycle: abandoned multipart uploads go after a day, superseded versions after a week,
 * and lone delete markers with them. No expiry of current objects: backends keep long-lived
 * objects (Mimir's and Loki's cluster seed, bucket indexes) that an age rule would destroy.
 */
export const lifecycleRules = [
  {
    id: "abort-incomplete-multipart-uploads",
    status: "Enabled",
    filter: {},
    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
  },
  {
    id: "expire-noncurrent-versions",
    status: "Enabled",
    filter: {},
    noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionDays },
    expiration: { expiredObjectDeleteMarker: true },
  },
];
