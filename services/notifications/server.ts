import { join } from "node:path";
import { z } from "zod";
import {
  file_platform_notifications_v1_notifications,
  NotificationsService,
} from "../gen/platform/notifications/v1/notifications_pb.js";
import { count } from "../runtime/config.js";
import type { ServiceDefinition } from "../runtime/run-service.js";
import { keyEncryptionKeyVariable } from "../runtime/sealing.js";
import { enqueueDeliveries } from "./deliveries.js";
import { DeliveryWorker } from "./delivery-worker.js";
import { notificationsHandlers } from "./handlers.js";
import spec from "./service.js";
import type { TargetPolicy } from "./target-guard.js";

const positive = count.pipe(z.number().min(1));

const env = {
  NOTIFICATIONS_KEY_ENCRYPTION_KEY: keyEncryptionKeyVariable(
    "seals webhook signing secrets in Postgres (AES-256-GCM)",
  ),
  NOTIFICATIONS_ALLOW_PRIVATE_TARGETS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .describe(
      "local mode and tests only: allow http:// and private, loopback and link-local webhook targets",
    ),
  NOTIFICATIONS_MAX_ATTEMPTS: positive.default(6).describe("attempts before a delivery is dead-lettered"),
  NOTIFICATIONS_RETRY_BASE_MS: positive
    .default(500)
    .describe("the ceiling of the first retry's jittered delay"),
  NOTIFICATIONS_RETRY_CAP_MS: positive.default(60_000).describe("the largest ceiling of a retry's delay"),
  NOTIFICATIONS_DELIVERY_TIMEOUT_MS: positive
    .default(5_000)
    .describe("per attempt: connect, send and the receiver's response head"),
  NOTIFICATIONS_POLL_MS: positive.default(500).describe("the longest wait between polls for due deliveries"),
  NOTIFICATIONS_OWNER_CONCURRENCY: positive
    .default(4)
    .describe("deliveries of one owner in flight at once, over every replica"),
  NOTIFICATIONS_CIRCUIT_FAILURES: positive
    .default(5)
    .describe("consecutive failed attempts to an endpoint that open its circuit"),
  NOTIFICATIONS_CIRCUIT_COOLDOWN_MS: positive
    .default(30_000)
    .describe("how long an endpoint's open circuit holds its deliveries before a probe"),
};

/** Deliveries in flight at once per replica. */
const deliveryConcurrency = 16;

/** The notifications service: webhook subscriptions and signed deliveries with retries. */
export const definition: ServiceDefinition<typeof NotificationsService, typeof env> = {
  spec,
  rpc: { service: NotificationsService, file: file_platform_notifications_v1_notifications },
  env,
  migrations: join(import.meta.dirname, "migrations"),
  async start({ db, outbox, logger, config }) {
    const kek = config.NOTIFICATIONS_KEY_ENCRYPTION_KEY;
    const targets: TargetPolicy = { allowPrivate: config.NOTIFICATIONS_ALLOW_PRIVATE_TARGETS };
    if (targets.allowPrivate)
      logger.warn("NOTIFICATIONS_ALLOW_PRIVATE_TARGETS=true: webhooks may reach private addresses over http");
    const worker = new DeliveryWorker({
      db,
      kek,
      outbox,
      logger,
      targets,
      settings: {
        maxAttempts: config.NOTIFICATIONS_MAX_ATTEMPTS,
        retry: { baseMs: config.NOTIFICATIONS_RETRY_BASE_MS, capMs: config.NOTIFICATIONS_RETRY_CAP_MS },
        timeoutMs: config.NOTIFICATIONS_DELIVERY_TIMEOUT_MS,
        pollMs: config.NOTIFICATIONS_POLL_MS,
        concurrency: deliveryConcurrency,
        perOwner: config.NOTIFICATIONS_OWNER_CONCURRENCY,
        circuit: {
          failureThreshold: config.NOTIFICATIONS_CIRCUIT_FAILURES,
          cooldownMs: config.NOTIFICATIONS_CIRCUIT_COOLDOWN_MS,
        },
      },
    });
    worker.start();
    const relayedServices = spec.events.consumes === "all" ? [] : spec.events.consumes;
    return {
      handlers: notificationsHandlers({ db, kek, outbox, targets, logger, relayedServices }),
      consume: async (events, { tx }) => {
        for (const event of events) await enqueueDeliveries(tx ?? db, event);
      },
      close: [() => worker.stop()],
    };
  },
};
