import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { type Tags, tagged } from "./tags.js";
import { invalid } from "./validation.js";

export interface EncryptionKeyArgs {
  /** What the key encrypts, as the KMS console and CloudTrail show it. */
  readonly description: string;
  /**
   * The full alias name, e.g. "alias/platform-prod-postgres" (the `alias/aws/` prefix is
   * reserved by AWS). Default: no alias.
   */
  readonly alias?: string;
  /** Tags for the key. */
  readonly tags: Tags;
}

/** Days a scheduled deletion waits before the key (and every ciphertext under it) is gone: the maximum. */
export const keyDeletionWindowDays = 30;

const aliasPattern = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

export function validateEncryptionKeyArgs(args: EncryptionKeyArgs): void {
  if (args.alias === undefined) return;
  if (!aliasPattern.test(args.alias) || args.alias.startsWith("alias/aws/"))
    invalid(
      "alias",
      `expected "alias/<name>" (letters, digits, /, _ and -, not under alias/aws/), got "${args.alias}"`,
    );
}

/**
 * A symmetric customer-managed KMS key for one component's data at rest, rotated yearly by
 * KMS and recoverable for 30 days after a deletion is scheduled; with `alias`, a KMS alias
 * of the same logical name points at it. A key of its own keeps its policy, its grants and
 * its CloudTrail record about one data store only.
 */
export function createEncryptionKey(
  name: string,
  args: EncryptionKeyArgs,
  parent: pulumi.Resource,
): aws.kms.Key {
  validateEncryptionKeyArgs(args);
  const key = new aws.kms.Key(
    name,
    {
      description: args.description,
      enableKeyRotation: true,
      deletionWindowInDays: keyDeletionWindowDays,
      tags: tagged(args.tags, name),
    },
    { parent },
  );
  if (args.alias !== undefined)
    new aws.kms.Alias(name, { name: args.alias, targetKeyId: key.keyId }, { parent });
  return key;
}
