import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import type { PublishedHead } from "./head.js";

/**
 * Where published heads go: write-once storage, one object per head, named by its sequence
 * zero-padded so names sort as numbers. Nothing ever overwrites or deletes one: production
 * writes to an S3 bucket with Object Lock in compliance mode (components/audit), local mode
 * to files in the checkout's data directory, created exclusively and read-only.
 */
export interface HeadStore {
  /** Stores `head`; a head of the same sequence already stored is left as it is. */
  publish(head: PublishedHead): Promise<void>;
  /** The head with the highest sequence, if any was published. */
  latest(): Promise<PublishedHead | undefined>;
}

const objectName = (sequence: string) => `${sequence.padStart(20, "0")}.json`;
const namePattern = /^\d{20}\.json$/;

/** Files under a directory: `wx` refuses to replace one, and each is made read-only. */
export class FileHeadStore implements HeadStore {
  constructor(readonly directory: string) {}

  async publish(head: PublishedHead): Promise<void> {
    mkdirSync(this.directory, { recursive: true });
    try {
      writeFileSync(join(this.directory, objectName(head.sequence)), `${JSON.stringify(head)}\n`, {
        flag: "wx",
        mode: 0o444,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }

  async latest(): Promise<PublishedHead | undefined> {
    let names: string[];
    try {
      names = readdirSync(this.directory).filter((n) => namePattern.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    const newest = names.sort().at(-1);
    return newest
      ? (JSON.parse(readFileSync(join(this.directory, newest), "utf8")) as PublishedHead)
      : undefined;
  }
}

/**
 * An S3 bucket with Object Lock (the bucket's default retention, compliance mode, applies
 * to every object): a conditional write (`If-None-Match: *`) never replaces a head, and
 * locked versions cannot be deleted or overwritten by anyone, the root account included,
 * until their retention ends. Credentials come from the pod's IRSA role.
 */
export class S3HeadStore implements HeadStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  async publish(head: PublishedHead): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${this.prefix}${objectName(head.sequence)}`,
          Body: JSON.stringify(head),
          ContentType: "application/json",
          IfNoneMatch: "*",
          // Object Lock requires an integrity checksum on every write.
          ChecksumAlgorithm: "SHA256",
        }),
      );
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 412) throw err;
    }
  }

  async latest(): Promise<PublishedHead | undefined> {
    let newest: string | undefined;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? [])
        if (
          object.Key &&
          namePattern.test(object.Key.slice(this.prefix.length)) &&
          (!newest || object.Key > newest)
        )
          newest = object.Key;
      token = page.NextContinuationToken;
    } while (token);
    if (!newest) return undefined;
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: newest }));
    return JSON.parse(await object.Body!.transformToString()) as PublishedHead;
  }
}

/** `file:///absolute/dir` or `s3://bucket/prefix/`: where audit publishes its heads. */
export const headStoreUrl = z
  .string()
  .refine((v) => /^file:\/\/\/./.test(v) || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v), {
    error: "file:///<absolute directory> or s3://<bucket>/<prefix>",
  });

export function openHeadStore(url: string, region: string | undefined): HeadStore {
  if (url.startsWith("file://")) return new FileHeadStore(fileURLToPath(url));
  const { hostname: bucket, pathname } = new URL(url);
  const prefix = pathname.replace(/^\/+/, "");
  return new S3HeadStore(
    new S3Client(region ? { region } : {}),
    bucket,
    prefix && !prefix.endsWith("/") ? `${prefix}/` : prefix,
  );
}
