import { join } from "node:path";
import { z } from "zod";
import { AuditService, file_platform_audit_v1_audit } from "../gen/platform/audit/v1/audit_pb.js";
import { count } from "../runtime/config.js";
import type { ServiceDefinition } from "../runtime/run-service.js";
import { auditHandlers } from "./handlers.js";
import spec from "./service.js";
import { appendToChain } from "./store.js";

const env = {
  AUDIT_VERIFY_BATCH_SIZE: count
    .pipe(z.number().min(1).max(100_000))
    .default(1000)
    .describe("events VerifyChain reads per query: its memory bound"),
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
    return {
      handlers: auditHandlers(db, { verifyBatchSize: config.AUDIT_VERIFY_BATCH_SIZE }),
      async consume(events, { tx }) {
        if (!tx) throw new Error("the audit appends in the consumer's transaction, which needs its database");
        const { alreadyStored } = await appendToChain(tx, events);
        if (alreadyStored.length > 0)
          logger.warn({ eventIds: alreadyStored }, "events already in the audit trail; not appended again");
      },
    };
  },
};
