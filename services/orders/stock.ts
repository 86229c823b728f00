import type { CatalogService } from "../gen/platform/catalog/v1/catalog_pb.js";
import { type Client, RpcError, Status } from "../runtime/rpc/client.js";
import type { Money, OrderLine } from "./order.js";

/** What catalog said to a reservation. */
export type ReserveOutcome =
  | { readonly kind: "reserved"; readonly unitPrices: Money[] }
  /** A definite no (not enough stock, an unknown product): nothing was reserved. */
  | { readonly kind: "refused"; readonly reason: string }
  /** No answer (unreachable, deadline passed, a server fault): it may or may not have reserved. */
  | { readonly kind: "unknown"; readonly error: string };

export type ReleaseOutcome =
  | { readonly kind: "answered"; readonly released: boolean }
  | { readonly kind: "unknown"; readonly error: string };

/** Statuses that are catalog's final word on a reservation. */
const refusals = new Set<number>([Status.FAILED_PRECONDITION, Status.NOT_FOUND, Status.INVALID_ARGUMENT]);

const describe = (err: unknown) =>
  err instanceof RpcError
    ? `${Object.keys(Status).find((k) => Status[k as keyof typeof Status] === err.code) ?? err.code}: ${err.message}`
    : String((err as Error)?.message ?? err);

/**
 * Orders' view of catalog's stock: reserve an order's lines and release them, each keyed so a
 * retry is idempotent, each with a deadline, each answering an outcome instead of throwing.
 */
export class CatalogStock {
  constructor(
    private readonly catalog: Client<typeof CatalogService>,
    private readonly timeoutMs: number,
  ) {}

  /** The reservation's idempotency key is the order id: every retry of an order is the same request. */
  async reserve(orderId: string, lines: readonly OrderLine[]): Promise<ReserveOutcome> {
    try {
      const reply = await this.catalog.reserveStock(
        {
          idempotencyKey: orderId,
          orderId,
          lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
        },
        // Keyed by the order: a retry on another replica reserves (or releases) once.
        { timeoutMs: this.timeoutMs, idempotent: true },
      );
      return {
        kind: "reserved",
        unitPrices: reply.unitPrices.map((p) => ({ amountMinor: p.amountMinor, currency: p.currency })),
      };
    } catch (err) {
      if (err instanceof RpcError && refusals.has(err.code)) return { kind: "refused", reason: err.message };
      return { kind: "unknown", error: `ReserveStock ${describe(err)}` };
    }
  }

  /** Releases whatever the order holds; catalog releases only what was reserved, and only once. */
  async release(orderId: string, purpose: "compensate" | "cancel"): Promise<ReleaseOutcome> {
    try {
      const reply = await this.catalog.releaseStock(
        { idempotencyKey: `${purpose}:${orderId}`, orderId },
        // Keyed by the order: a retry on another replica reserves (or releases) once.
        { timeoutMs: this.timeoutMs, idempotent: true },
      );
      return { kind: "answered", released: reply.released };
    } catch (err) {
      return { kind: "unknown", error: `ReleaseStock ${describe(err)}` };
    }
  }
}
