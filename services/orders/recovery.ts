import { context, propagation, ROOT_CONTEXT, SpanKind } from "@opentelemetry/api";
import type { Logger } from "../runtime/logger.js";
import type { Database } from "../runtime/postgres.js";
import { traced } from "../runtime/tracing.js";
import type { OrderSaga } from "./saga.js";
import { claimStuckOrders, type StoredOrder } from "./store.js";

export interface RecoveryOptions {
  /** How long an order may stay pending before the loop takes it over. */
  readonly afterSeconds: number;
  /** Orders claimed per round. */
  readonly batchSize?: number;
}

/**
 * Finishes sagas that stopped half way: a crash between steps, or catalog not answering.
 * Every replica runs it; each stuck order is claimed by one of them (SKIP LOCKED) and leased
 * with a growing backoff, then driven on by the step it needs: the reservation again (same
 * key, so catalog answers its first outcome) or the release of a compensation. No pending
 * order keeps stock reserved for longer than it takes catalog to answer again.
 */
export class RecoveryLoop {
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<unknown> | undefined;
  #stopped = false;

  constructor(
    private readonly db: Database,
    private readonly saga: OrderSaga,
    private readonly logger: Logger,
    private readonly options: RecoveryOptions,
  ) {}

  /** Polls twice per `afterSeconds` (at least every 250 ms, at most every 5 s). */
  start(): void {
    const interval = Math.min(5_000, Math.max(250, this.options.afterSeconds * 500));
    const tick = () => {
      this.#round = this.runOnce()
        .catch((err: unknown) => this.logger.error({ err }, "order recovery round failed"))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, interval).unref();
        });
    };
    this.#timer = setTimeout(tick, interval).unref();
  }

  /** One round: claims the stuck orders and advances each; returns how many it claimed. */
  async runOnce(): Promise<number> {
    const orders = await claimStuckOrders(this.db, {
      afterSeconds: this.options.afterSeconds,
      limit: this.options.batchSize ?? 20,
    });
    for (const order of orders) {
      if (this.#stopped) break;
      await this.#recover(order).catch((err: unknown) =>
        this.logger.error({ err, orderId: order.id }, "order recovery failed; it will be tried again"),
      );
    }
    return orders.length;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
  }

  /** Continues the order's own trace, so its late events join PlaceOrder's. */
  #recover(order: StoredOrder) {
    const parent = order.traceparent
      ? propagation.extract(ROOT_CONTEXT, { traceparent: order.traceparent })
      : ROOT_CONTEXT;
    return context.with(parent, () =>
      traced(
        "orders.recover",
        { "order.id": order.id, "order.recovery_attempt": order.attempts, "order.saga_step": order.sagaStep },
        async () => {
          const settled = await this.saga.advance(order, { firstAttempt: false });
          const level = settled.state === "pending" ? "warn" : "info";
          this.logger[level](
            { orderId: order.id, state: settled.state, attempt: order.attempts },
            settled.state === "pending" ? "order still pending after recovery" : "pending order recovered",
          );
        },
        SpanKind.INTERNAL,
      ),
    );
  }
}
