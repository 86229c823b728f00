import { randomUUID } from "node:crypto";
import type { Principal } from "../gen/platform/common/v1/common_pb.js";
import { failedPrecondition, notFound, ServiceError } from "../runtime/errors.js";
import type { EventOutbox } from "../runtime/event-wiring.js";
import { traceHeaders } from "../runtime/events.js";
import type { Logger } from "../runtime/logger.js";
import type { Database } from "../runtime/postgres.js";
import { type Order, type OrderLine, orderData, priceLines, sameLines } from "./order.js";
import { assertMove, enteredBy, type OrderState, predecessorsOf } from "./states.js";
import type { CatalogStock } from "./stock.js";
import {
  findOrder,
  insertPendingOrder,
  moveOrder,
  noteFailure,
  type StoredOrder,
  startCompensation,
} from "./store.js";

/** What a transition may change beside the state. */
type OrderChanges = Partial<Pick<Order, "lines" | "total" | "reason">>;

/** The actor of the saga's own transitions (confirmed, rejected): the service, not a person. */
const sagaActor = "orders";

export interface OrderSagaDeps {
  readonly db: Database;
  readonly outbox: EventOutbox;
  readonly stock: CatalogStock;
  readonly logger: Logger;
}

/**
 * Placing an order is a saga across two databases: (1) the order is stored as pending with
 * its `placed` event; (2) catalog reserves its stock, keyed by the order id; (3) the order is
 * confirmed with catalog's prices, or rejected with catalog's reason.
 *
 * When catalog's answer is unknown (unreachable, deadline passed) the order stays pending and
 * the recovery loop repeats the reservation with the same key until catalog answers. It does
 * not release on a timeout: a reservation still in flight in catalog could land after that
 * release, leaving stock held for a rejected order; repeating the idempotent reservation
 * instead converges on one answer. Stock is released only when a reservation is known to
 * exist or may exist (prices in several currencies; a refusal after an uncertain attempt),
 * and that compensation is recorded first, so the order is never confirmed afterwards.
 */
export class OrderSaga {
  constructor(private readonly deps: OrderSagaDeps) {}

  /** Step 1, then the rest at once; a repeated idempotency key returns the order it made. */
  async place(input: { principal: Principal; idempotencyKey: string; lines: OrderLine[] }) {
    const now = new Date();
    const pending: Order = {
      id: randomUUID(),
      userId: input.principal.userId,
      idempotencyKey: input.idempotencyKey,
      state: "pending",
      lines: input.lines,
      reason: "",
      createdAt: now,
      updatedAt: now,
    };
    const { order, created } = await insertPendingOrder(
      this.deps.db,
      { ...pending, traceparent: traceHeaders()["traceparent"] },
      this.#event(pending, input.principal.userId),
    );
    if (!created) {
      if (!sameLines(order.lines, input.lines))
        throw failedPrecondition(
          `this idempotency key was already used for order ${order.id} with different lines; use a new key for a new order`,
        );
      return { order: order, replayed: true };
    }
    return { order: await this.advance(order, { firstAttempt: true }), replayed: false };
  }

  /**
   * Moves a pending order as far as catalog's answers allow: confirmed, rejected, or still
   * pending when catalog did not answer. `firstAttempt` is PlaceOrder's own try, before which
   * nothing can have been reserved for the order.
   */
  async advance(order: StoredOrder, { firstAttempt }: { firstAttempt: boolean }): Promise<Order> {
    if (order.state !== "pending") return order;
    if (order.sagaStep === "release") return this.#compensate(order, order.reason);
    const outcome = await this.deps.stock.reserve(order.id, order.lines);
    switch (outcome.kind) {
      case "reserved": {
        const priced = priceLines(order.lines, outcome.unitPrices);
        if (!priced.ok) return this.#compensate(order, priced.reason);
        return this.#settle(order, "confirmed", { lines: priced.lines, total: priced.total });
      }
      case "refused":
        // After an uncertain attempt, an earlier reservation may have landed late: release first.
        if (!firstAttempt) return this.#compensate(order, outcome.reason);
        return this.#settle(order, "rejected", { reason: outcome.reason });
      case "unknown":
        return this.#unsettled(order, outcome.error);
    }
  }

  /** Owner or admin checked by the caller. Confirmed: release, then cancel; cancelled: as is. */
  async cancel(order: StoredOrder, actor: string): Promise<Order> {
    if (order.state === "cancelled") return order;
    assertMove(order.state, "cancelled");
    const released = await this.deps.stock.release(order.id, "cancel");
    if (released.kind === "unknown")
      throw new ServiceError(
        "unavailable",
        `catalog did not confirm releasing the stock of order ${order.id}; the order stays confirmed, retry the cancellation`,
      );
    if (!released.released)
      this.deps.logger.warn(
        { orderId: order.id },
        "cancelled a confirmed order that catalog held no stock for",
      );
    return this.#move(order, "cancelled", actor);
  }

  /**
   * One transition with its event, in one statement that applies only from a state the
   * table allows. Only when it does not apply is the order read to say why: an order
   * already in `to` (or one whose compensation has started, for a confirmation) is returned
   * unchanged, so racing saga steps settle once; any other state is a move the table refuses.
   */
  async #move(order: Order, to: OrderState, actor: string, changes: OrderChanges = {}): Promise<Order> {
    const next: Order = { ...order, ...changes, state: to, updatedAt: new Date() };
    const moved = await moveOrder(this.deps.db, next, predecessorsOf(to), this.#event(next, actor));
    if (moved) return moved;
    const current = await findOrder(this.deps.db, order.id);
    if (!current) throw notFound(`order ${order.id}`);
    if (current.state !== to && !(to === "confirmed" && current.sagaStep === "release"))
      assertMove(current.state, to);
    return current;
  }

  /** The outbox row announcing that `order` entered its state. */
  #event(order: Order, actor: string): readonly unknown[] {
    return this.deps.outbox.prepare({
      entity: "order",
      entityId: order.id,
      action: enteredBy[order.state],
      actor,
      data: { order: orderData(order) },
    }).values;
  }

  /** Releases whatever the order may hold and rejects it; pending while catalog does not answer. */
  async #compensate(order: StoredOrder, reason: string): Promise<Order> {
    if (order.sagaStep !== "release" && !(await startCompensation(this.deps.db, order.id, reason)))
      return (await findOrder(this.deps.db, order.id)) ?? order;
    const released = await this.deps.stock.release(order.id, "compensate");
    if (released.kind === "unknown") return this.#unsettled({ ...order, reason }, released.error);
    return this.#settle(order, "rejected", { reason });
  }

  /** A saga outcome; if another attempt settled the order first, that outcome stands. */
  async #settle(order: Order, to: OrderState, changes: OrderChanges): Promise<Order> {
    const { id } = order;
    try {
      return await this.#move(order, to, sagaActor, changes);
    } catch (err) {
      if (!(err instanceof ServiceError && err.kind === "failedPrecondition")) throw err;
      this.deps.logger.warn(
        { orderId: id, to, err: err.message },
        "order already settled by another attempt",
      );
      return (await findOrder(this.deps.db, id)) ?? Promise.reject(notFound(`order ${id}`));
    }
  }

  async #unsettled(order: StoredOrder, error: string): Promise<Order> {
    this.deps.logger.warn({ orderId: order.id, error }, "order stays pending: catalog's answer is unknown");
    await noteFailure(this.deps.db, order.id, error);
    return (await findOrder(this.deps.db, order.id)) ?? order;
  }
}
