/**
 * The gateway's hop alone: `connections` callers, each calling catalog's GetProduct over the
 * runtime's thin client (one HTTP/2 session, as the gateway has) as soon as its last call
 * returned, with the gateway's call token. The callers and the client share this one process.
 *
 * usage: node --import tsx scripts/bench/grpc-direct.ts '{"address", "productId", "connections", "warmupSeconds", "seconds"}'
 */
import { localCaller } from "../../local/service-env.js";
import { CatalogService } from "../../services/gen/platform/catalog/v1/catalog_pb.js";
import { createClient } from "../../services/runtime/rpc/client.js";
import { runCallers } from "./callers.js";
import { generatorProtocol } from "./measurement.js";

export interface GrpcDirectConfig {
  readonly address: string;
  readonly productId: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as GrpcDirectConfig;
// The gateway's own call token, as every gateway call carries one.
const client = createClient(CatalogService, config.address, {
  timeoutMs: 1_000,
  caller: localCaller("gateway").towards("catalog"),
});
// The route's deadline, as the gateway sends it.
generatorProtocol.result(
  await runCallers(config, () => client.getProduct({ id: config.productId }, { timeoutMs: 1_000 })),
);
client.close();
