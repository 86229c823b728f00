import { join } from "node:path";
import { z } from "zod";
import catalog from "../catalog/service.js";
import { CatalogService } from "../gen/platform/catalog/v1/catalog_pb.js";
import { file_platform_orders_v1_orders, OrdersService } from "../gen/platform/orders/v1/orders_pb.js";
import { ConfigError, count } from "../runtime/config.js";
import {
  balancerEnv,
  balancerSettings,
  createBalancedClient,
  replicaAddresses,
} from "../runtime/rpc/balancer.js";
import type { ServiceDefinition } from "../runtime/run-service.js";
import { ordersHandlers } from "./handlers.js";
import { RecoveryLoop } from "./recovery.js";
import { OrderSaga } from "./saga.js";
import spec from "./service.js";
import { CatalogStock } from "./stock.js";

const positive = count.pipe(z.number().min(1));

const env = {
  CATALOG_ADDRESS: replicaAddresses("catalog", catalog.port),
  ...balancerEnv,
  ORDERS_RESERVE_TIMEOUT_MS: positive
    .default(2_000)
    .describe("the deadline of each ReserveStock and ReleaseStock call to catalog"),
  ORDERS_RECOVERY_AFTER_SECONDS: positive
    .default(30)
    .describe("how long an order may stay pending before the recovery loop resumes its saga"),
};

/**
 * The recovery loop must not take over an order whose PlaceOrder is still running: that
 * call makes at most a reservation and a release, each within the timeout.
 */
export function checkTimings(config: {
  ORDERS_RESERVE_TIMEOUT_MS: number;
  ORDERS_RECOVERY_AFTER_SECONDS: number;
}) {
  if (config.ORDERS_RECOVERY_AFTER_SECONDS * 1000 <= 2 * config.ORDERS_RESERVE_TIMEOUT_MS)
    throw new ConfigError(
      `invalid configuration: ORDERS_RECOVERY_AFTER_SECONDS (${config.ORDERS_RECOVERY_AFTER_SECONDS}) must exceed ` +
        `two catalog calls of ORDERS_RESERVE_TIMEOUT_MS (${config.ORDERS_RESERVE_TIMEOUT_MS} ms each), ` +
        "or recovery could race an order still being placed",
    );
}

/** The orders service: places orders as a saga over catalog's stock, and cancels them. */
export const definition: ServiceDefinition<typeof OrdersService, typeof env> = {
  spec,
  rpc: { service: OrdersService, file: file_platform_orders_v1_orders },
  env,
  migrations: join(import.meta.dirname, "migrations"),
  async start({ db, logger, config, outbox, caller }) {
    checkTimings(config);
    const client = createBalancedClient(CatalogService, config.CATALOG_ADDRESS, {
      timeoutMs: config.ORDERS_RESERVE_TIMEOUT_MS,
      caller: caller.towards("catalog"),
      ...balancerSettings(config),
      onChange: (replica, change) =>
        logger[change === "healthy" ? "info" : "warn"](
          { replica, change },
          `catalog replica ${replica} ${change}`,
        ),
    });
    const stock = new CatalogStock(client, config.ORDERS_RESERVE_TIMEOUT_MS);
    const saga = new OrderSaga({ db, outbox, stock, logger });
    const recovery = new RecoveryLoop(db, saga, logger, {
      afterSeconds: config.ORDERS_RECOVERY_AFTER_SECONDS,
    });
    recovery.start();
    return {
      handlers: ordersHandlers(db, saga),
      close: [() => recovery.stop(), async () => client.close()],
    };
  },
};
