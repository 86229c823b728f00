/**
 * The pure decisions of the WriteOnceStorage component: names, the object lock, and the
 * least-privilege policy of the service's role. Tested without any cloud.
 */
import { bucketArn } from "../shared/private-bucket.js";

/** Days each object stays locked by default: seven years, an audit trail's usual keeping. */
export const defaultRetentionDays = 2555;

/** `<prefix>-<service>-write-once-<account>`: unique per account, stack and service. */
export function writeOnceBucketName(prefix: string, service: string, accountId: string): string {
  const name = `${prefix}-${service}-write-once-${accountId}`;
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name))
    throw new Error(`"${name}" is not a valid S3 bucket name (3-63 lowercase letters, digits, hyphens)`);
  return name;
}

/** The ConfigMap telling the service its bucket: `url` (s3://<bucket>/) and `region`. */
export const writeOnceConfigMapName = (service: string) => `${service}-write-once`;

/**
 * Compliance mode: no one, the account's root user included, can overwrite or delete a
 * locked object version or shorten its retention until it ends (governance mode would let
 * a privileged principal bypass it).
 */
export const objectLockRule = (days: number) => ({ defaultRetention: { mode: "COMPLIANCE", days } });

/**
 * What the service's role may do: add objects and read them back, with the bucket's key.
 * No delete, no retention or legal-hold change, no bypass: Object Lock refuses those
 * anyway; the role does not even ask.
 */
export function writeOncePolicy(bucket: string, kmsKeyArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListOwnBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn(bucket) },
      {
        Sid: "AddAndReadObjects",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject"],
        Resource: `${bucketArn(bucket)}/*`,
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
