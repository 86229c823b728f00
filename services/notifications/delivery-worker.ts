import { context, propagation, SpanKind } from "@opentelemetry/api";
import type pg from "pg";
import type { EventOutbox } from "../runtime/event-wiring.js";
import type { Logger } from "../runtime/logger.js";
import type { Database } from "../runtime/postgres.js";
import type { KeyEncryptionKey } from "../runtime/sealing.js";
import { traced } from "../runtime/tracing.js";
import { WakeableSleep } from "../runtime/wakeable-sleep.js";
import { type RetryPolicy, retryDelayMs } from "./backoff.js";
import { type Circuit, type CircuitPolicy, recordEndpointOutcome } from "./circuits.js";
import { claimDueDeliveries } from "./claims.js";
import {
  type AttemptResult,
  type ClaimedDelivery,
  deliveryChannel,
  deliveryState,
  recordAttempt,
} from "./deliveries.js";
import { type PostOutcome, postWebhook } from "./post-webhook.js";
import { signatureHeader, signWebhook } from "./signature.js";
import { checkTarget, type TargetPolicy, TargetRefused } from "./target-guard.js";
import { openSecret } from "./webhooks.js";

export interface DeliverySettings {
  /** Attempts before a delivery is dead-lettered. */
  readonly maxAttempts: number;
  readonly retry: RetryPolicy;
  /** Per attempt: connect, send and the response head. */
  readonly timeoutMs: number;
  /** The longest wait between polls when no notification arrives. */
  readonly pollMs: number;
  /** Deliveries in flight at once per replica. */
  readonly concurrency: number;
  /** Deliveries of one owner in flight at once, over every replica. */
  readonly perOwner: number;
  /** When an endpoint's deliveries wait for it to recover. */
  readonly circuit: CircuitPolicy;
}

export interface DeliveryWorkerOptions {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly outbox: EventOutbox;
  readonly logger: Logger;
  readonly targets: TargetPolicy;
  readonly settings: DeliverySettings;
}

/** How long a claimed delivery stays invisible to other workers: the timeout and a margin. */
const leaseMarginMs = 30_000;

const isSuccess = (code: number | undefined) => code !== undefined && code >= 200 && code < 300;

/**
 * Sends due deliveries: claims them (fairly between owners, with a cap per owner and a
 * circuit per endpoint: claims.ts), signs and POSTs each to its checked, pinned address,
 * and records the outcome: delivered on 2xx;
 * otherwise retried with exponential backoff and full jitter; after `maxAttempts`, dead,
 * with a `platform.notifications.delivery.dead-lettered` event written in the same
 * transaction, so a delivery is never dropped silently. Wakes on NOTIFY from the consumer
 * (new deliveries), on a finished attempt, and at least every `pollMs` (retries come due).
 */
export class DeliveryWorker {
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #sleep = new WakeableSleep();
  #listener: pg.PoolClient | undefined;
  #listenRetryAt = 0;
  #failures = 0;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(private readonly options: DeliveryWorkerOptions) {}

  start(): void {
    this.#loop ??= this.#run().catch((err: unknown) =>
      this.options.logger.error({ err }, "delivery worker stopped"),
    );
  }

  /** Stops claiming, lets attempts in flight finish (each within the timeout), and unlistens. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#sleep.wake();
    await this.#loop;
    await Promise.all(this.#inFlight);
    this.#unlisten();
  }

  async #run(): Promise<void> {
    const { settings, logger } = this.options;
    while (!this.#stopped) {
      await this.#listen();
      const free = settings.concurrency - this.#inFlight.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const due = await claimDueDeliveries(this.options.db, {
            limit: free,
            leaseMs: settings.timeoutMs + leaseMarginMs,
            perOwner: settings.perOwner,
          });
          claimed = due.length;
          this.#failures = 0;
          for (const delivery of due) this.#track(this.#attempt(delivery));
        } catch (err) {
          if (this.#failures++ % 20 === 0)
            logger.warn({ err: (err as Error).message }, "cannot claim deliveries; retrying");
        }
      }
      // A full claim may mean more is due: go again at once; otherwise wait for a wake-up.
      if (free === 0 || claimed < free) await this.#sleep.sleep(settings.pollMs);
    }
  }

  #track(attempt: Promise<void>): void {
    this.#inFlight.add(attempt);
    void attempt.finally(() => {
      this.#inFlight.delete(attempt);
      this.#sleep.wake();
    });
  }

  /** One attempt, in the trace of the event it delivers. */
  async #attempt(delivery: ClaimedDelivery): Promise<void> {
    const event = delivery.payload as { traceparent?: string };
    const parent = propagation.extract(context.active(), { traceparent: event.traceparent ?? "" });
    try {
      await context.with(parent, () =>
        traced(
          "webhook deliver",
          {
            "platform.delivery.id": delivery.id,
            "platform.webhook.id": delivery.webhook_id,
            "platform.delivery.attempt": delivery.attempts,
          },
          async (span) => {
            const result = await this.#send(delivery);
            if (result.statusCode) span.setAttribute("http.response.status_code", result.statusCode);
            await this.#record(delivery, result);
          },
          SpanKind.PRODUCER,
        ),
      );
    } catch (err) {
      // The lease brings the delivery back: at least once, never lost.
      this.options.logger.error({ err, deliveryId: delivery.id }, "delivery outcome not recorded");
    }
  }

  /** The attempt's result, and for our log only what the owner may not read (what our DNS said). */
  async #send(delivery: ClaimedDelivery): Promise<AttemptResult & { detail?: string }> {
    const { kek, targets, settings } = this.options;
    const startedAt = new Date();
    let outcome: PostOutcome | { readonly error: string; readonly detail: string };
    try {
      const secret = openSecret(kek, delivery.webhook_id, delivery.secret_sealed);
      // Checked again at every attempt: the name may resolve elsewhere since the last one.
      const target = await checkTarget(delivery.url, targets);
      const body = JSON.stringify(delivery.payload);
      outcome = await postWebhook({
        target,
        body,
        timeoutMs: settings.timeoutMs,
        headers: {
          "content-type": "application/cloudevents+json",
          "user-agent": "platform-notifications/1",
          "webhook-id": delivery.id,
          [signatureHeader]: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
        },
      });
    } catch (err) {
      if (!(err instanceof TargetRefused)) outcome = { error: (err as Error).message };
      else outcome = { error: `target refused: ${err.publicReason}`, detail: err.reason };
    }
    const durationMs = Date.now() - startedAt.getTime();
    if ("error" in outcome) return { startedAt, durationMs, ...outcome };
    const { statusCode } = outcome;
    return isSuccess(statusCode)
      ? { startedAt, durationMs, statusCode }
      : { startedAt, durationMs, statusCode, error: `the receiver answered HTTP ${statusCode}` };
  }

  async #record(delivery: ClaimedDelivery, result: AttemptResult & { detail?: string }): Promise<void> {
    const { db, outbox, logger, settings } = this.options;
    const next = isSuccess(result.statusCode)
      ? ({ status: "delivered" } as const)
      : delivery.attempts >= settings.maxAttempts
        ? ({ status: "dead" } as const)
        : ({
            status: "retrying",
            retryAt: new Date(Date.now() + retryDelayMs(delivery.attempts, settings.retry)),
          } as const);
    const { row, circuit } = await db.transaction(async (tx) => {
      const updated = await recordAttempt(tx, delivery, result, next);
      const endpoint = { ownerId: delivery.owner_id, url: delivery.url };
      const circuit = await recordEndpointOutcome(tx, endpoint, result, settings.circuit);
      if (updated?.status === "dead") {
        await outbox.append(tx, {
          entity: "delivery",
          entityId: updated.id,
          action: "dead-lettered",
          actor: "system",
          // The undelivered event travels with it, so it can be inspected and redriven.
          data: { delivery: deliveryState(updated, delivery.owner_id), event: delivery.payload },
        });
      }
      return { row: updated, circuit };
    });
    const fields = {
      deliveryId: delivery.id,
      webhookId: delivery.webhook_id,
      eventId: delivery.event_id,
      attempt: delivery.attempts,
      probe: delivery.probe,
      statusCode: result.statusCode,
      error: result.error,
      detail: result.detail,
      durationMs: result.durationMs,
      status: row?.status ?? "superseded",
    };
    if (next.status === "dead") logger.error(fields, "webhook delivery dead-lettered");
    else if (next.status === "retrying") logger.warn(fields, "webhook delivery failed; will retry");
    else logger.info(fields, "webhook delivered");
    this.#logCircuit(delivery, circuit.before, circuit.after);
  }

  /** Opening and closing a circuit are news for the owner's support; the counts between are not. */
  #logCircuit(delivery: ClaimedDelivery, before: Circuit | undefined, after: Circuit | undefined): void {
    const endpoint = { ownerId: delivery.owner_id, webhookId: delivery.webhook_id };
    if (after?.state === "open" && before?.state !== "open")
      this.options.logger.warn(
        { ...endpoint, failures: after.failures, retryAt: after.retryAt },
        "webhook endpoint circuit opened: its deliveries wait for a probe",
      );
    else if (before?.state === "open" && after === undefined)
      this.options.logger.info(endpoint, "webhook endpoint circuit closed: its deliveries resume");
  }

  /** LISTEN on a connection of its own; on failure, polling carries on and it is retried later. */
  async #listen(): Promise<void> {
    if (this.#listener || this.#stopped || Date.now() < this.#listenRetryAt) return;
    try {
      const client = await this.options.db.pool.connect();
      client.on("notification", () => this.#sleep.wake());
      client.on("error", (err) => {
        this.options.logger.warn({ err: err.message }, "delivery wake-up connection lost; polling");
        this.#unlisten(err);
      });
      this.#listener = client;
      await client.query(`LISTEN ${deliveryChannel}`);
    } catch (err) {
      this.#listenRetryAt = Date.now() + 5_000;
      this.options.logger.warn({ err: (err as Error).message }, "cannot LISTEN for deliveries; polling");
      this.#unlisten(err as Error);
    }
  }

  #unlisten(err?: Error): void {
    const client = this.#listener;
    this.#listener = undefined;
    client?.removeAllListeners("notification");
    client?.release(err ?? true);
  }
}
