import { join } from "node:path";
import { z } from "zod";
import { publicKeyObject, seedVariable } from "../../contracts/ed25519.js";
import { AuditService, file_platform_audit_v1_audit } from "../gen/platform/audit/v1/audit_pb.js";
import { count } from "../runtime/config.js";
import type { ServiceDefinition } from "../runtime/run-service.js";
import { auditHandlers } from "./handlers.js";
import { HeadPublisher, latestPublishedHead } from "./head-publisher.js";
import { headStoreUrl, openHeadStore } from "./head-store.js";
import spec from "./service.js";
import { appendToChain } from "./store.js";

const env = {
  AUDIT_VERIFY_BATCH_SIZE: count
    .pipe(z.number().min(1).max(100_000))
    .default(1000)
    .describe("events VerifyChain reads per query: its memory bound"),
  // The chain head, signed and published to write-once storage (head-publisher.ts).
  AUDIT_HEAD_SIGNING_KEY: seedVariable("signs the published chain heads (an Ed25519 seed, base64)"),
  WRITE_ONCE_URL: headStoreUrl.describe(
    "its write-once store, where heads are published: s3://<bucket>/<prefix> or file:///<dir>",
  ),
  AUDIT_HEAD_PUBLISH_SECONDS: count
    .pipe(z.number().min(1))
    .default(60)
    .describe("how often the head is published when it moved: the window a rewrite can hide in"),
  AWS_REGION: z.string().optional().describe("the S3 bucket's region (credentials from IRSA)"),
};

/**
 * The audit service: consumes every events topic into an append-only, hash-chained store
 * and answers history, state-at-time and chain-verification queries. It publishes nothing.
 */
export const definition: ServiceDefinition<typeof AuditService, typeof env> = {
  spec,
  rpc: { service: AuditService, file: file_platform_audit_v1_audit },
  env,
  migrations: join(import.meta.dirname, "migrations"),
  async start({ db, config, logger }) {
    const store = openHeadStore(config.WRITE_ONCE_URL, config.AWS_REGION);
    const key = {
      ...config.AUDIT_HEAD_SIGNING_KEY,
      verifier: publicKeyObject(config.AUDIT_HEAD_SIGNING_KEY.publicKey)!,
    };
    const publisher = new HeadPublisher(db, store, key, {
      intervalMs: config.AUDIT_HEAD_PUBLISH_SECONDS * 1000,
      logger,
    });
    publisher.start();
    return {
      handlers: auditHandlers(db, {
        verifyBatchSize: config.AUDIT_VERIFY_BATCH_SIZE,
        publishedHead: () => latestPublishedHead(store, key.verifier),
      }),
      close: [() => publisher.stop()],
      async consume(events, { tx }) {
        if (!tx) throw new Error("the audit appends in the consumer's transaction, which needs its database");
        const { alreadyStored } = await appendToChain(tx, events);
        if (alreadyStored.length > 0)
          logger.warn({ eventIds: alreadyStored }, "events already in the audit trail; not appended again");
      },
    };
  },
};
