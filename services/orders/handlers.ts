import type { OrdersService } from "../gen/platform/orders/v1/orders_pb.js";
import { notFound } from "../runtime/errors.js";
import type { Database } from "../runtime/postgres.js";
import type { Handlers } from "../runtime/rpc/server.js";
import { orderMessage } from "./order.js";
import { orderRefInput, placeOrderInput, requireOwnerOrAdmin } from "./requests.js";
import type { OrderSaga } from "./saga.js";
import { findOrder } from "./store.js";

/** The orders RPCs: read the request, run the domain step, answer the order. */
export function ordersHandlers(db: Database, saga: OrderSaga): Handlers<typeof OrdersService> {
  /** The order `id` if the principal may see it: unknown is NOT_FOUND, someone else's PERMISSION_DENIED. */
  const visibleOrder = async (request: Parameters<typeof orderRefInput>[0]) => {
    const { principal, id } = orderRefInput(request);
    const order = await findOrder(db, id);
    if (!order) throw notFound(`order ${id}`);
    requireOwnerOrAdmin(principal, order);
    return { principal, order };
  };

  return {
    async placeOrder(request) {
      const { order, replayed } = await saga.place(placeOrderInput(request));
      return { order: orderMessage(order), replayed };
    },

    async getOrder(request) {
      const { order } = await visibleOrder(request);
      return { order: orderMessage(order) };
    },

    async cancelOrder(request) {
      const { principal, order } = await visibleOrder(request);
      return { order: orderMessage(await saga.cancel(order, principal.userId)) };
    },
  };
}
