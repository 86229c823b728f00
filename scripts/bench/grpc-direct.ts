/**
 * The gateway's hop alone: `connections` callers, each calling catalog's GetProduct over the
 * runtime's thin client (one HTTP/2 session, as the gateway has) as soon as its last call
 * returned. The callers and the client share this one process.
 *
 * usage: node --import tsx scripts/bench/grpc-direct.ts '{"address", "productId", "connections", "warmupSeconds", "seconds"}'
 */
import { CatalogService } from "../../services/gen/platform/catalog/v1/catalog_pb.js";
import { createClient } from "../../services/runtime/rpc/client.js";
import { generatorProtocol } from "./measurement.js";
import { LatencyRecorder } from "./stats.js";

export interface GrpcDirectConfig {
  readonly address: string;
  readonly productId: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as GrpcDirectConfig;
const client = createClient(CatalogService, config.address, { timeoutMs: 1_000 });
const latency = new LatencyRecorder();
let errors = 0;

const measureFrom = performance.now() + config.warmupSeconds * 1000;
const end = measureFrom + config.seconds * 1000;
let cpuAtMeasure = process.cpuUsage();
setTimeout(() => {
  cpuAtMeasure = process.cpuUsage();
  generatorProtocol.measuring();
}, measureFrom - performance.now());

async function caller(): Promise<void> {
  for (let started = performance.now(); started < end; started = performance.now()) {
    try {
      // The route's deadline, as the gateway sends it.
      await client.getProduct({ id: config.productId }, { timeoutMs: 1_000 });
      if (started >= measureFrom) latency.record(performance.now() - started);
    } catch {
      if (started >= measureFrom) errors++;
    }
  }
}

await Promise.all(Array.from({ length: config.connections }, caller));
const cpu = process.cpuUsage(cpuAtMeasure);
generatorProtocol.result({
  requestsPerSecond: (latency.count + errors) / config.seconds,
  requests: latency.count,
  errors,
  latency: latency.summary(),
  generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
});
client.close();
