import { rmSync } from "node:fs";
import { join } from "node:path";
import { provisionDatabases } from "../../local/databases.js";
import { grpcServing, httpOk } from "../../local/health.js";
import { kafkaServer as localKafka } from "../../local/kafka.js";
import { dataDir, repoRoot } from "../../local/paths.js";
import { runnableServices } from "../../local/platform.js";
import { postgres as postgresServer } from "../../local/postgres.js";
import { type ServiceProcess, serviceNodeFlags, waitHealthy } from "../../local/processes.js";
import { step } from "../../local/progress.js";
import { redis as redisServer } from "../../local/redis.js";
import { localSecret } from "../../local/secrets.js";
import { demoUser, seedDemoData } from "../../local/seed.js";
import type { LocalServer } from "../../local/server.js";
import { localServers, startServers } from "../../local/servers.js";
import { localCaller, localServiceEnv } from "../../local/service-env.js";
import { ensureTopics } from "../../local/topics.js";
import { loadServiceRegistry, type RegisteredService } from "../../services/registry.js";
import { bundleService } from "../build/bundle.js";
import { seedBenchProducts } from "./bench-data.js";
import { withChildren } from "./cpu.js";
import { pauseLogSuffix } from "./pauses.js";
import type { BenchPorts } from "./ports.js";
import { startProcess, stopAll } from "./processes.js";
import { orderProducts } from "./requests.js";
import { benchServices } from "./services.js";

/**
 * The services the measured paths pass through: reads (gateway, catalog), orders (orders,
 * catalog) and the event pipeline (their outboxes into audit). Identity issues the token.
 */

const pauseWatch = join(repoRoot, "scripts", "bench", "pause-watch.ts");

/** Products the uncached read walks; a run's walk must not reach the end (measure.ts checks). */
export const readProducts = 150_000;

/** Backing servers the services need, by the names of local/servers.ts. */
export function serversFor(services: readonly RegisteredService[]): string[] {
  const needed = new Set<string>();
  for (const s of services) {
    for (const store of s.stores) needed.add(store);
    if (s.topic !== undefined || s.consumedTopics.length > 0) needed.add("kafka");
  }
  return localServers.map((s) => s.name).filter((name) => needed.has(name));
}

/** Settings the bench changes from local mode, each for a reason it can state. */
const benchEnv: Record<string, Record<string, string>> = {
  gateway: {
    // One principal sends every request: the default 1200/60s would answer 429s within a
    // second. The limit is raised, not removed: every request still runs the GCRA in Redis.
    // (1000 a second with a day's burst: the script keeps times in ms, so the interval
    // between requests must stay well above a double's resolution at today's epoch ms.)
    RATE_LIMIT_READ: "86400000/86400s",
    RATE_LIMIT_WRITE: "86400000/86400s",
    REDIS_KEY_PREFIX: "bench-gateway:",
  },
  // The product stays cached for the whole bench (the default 300 s would expire mid-run).
  catalog: { CATALOG_CACHE_TTL_SECONDS: "3600" },
};

/**
 * The bench's own Kafka broker, fresh each time: tens of thousands of bench events would
 * otherwise stay in the platform's topics, where `npm start` and every new consumer group
 * of the tests would read them again.
 */
function benchKafka(ports: BenchPorts): LocalServer {
  const home = dataDir("bench", "kafka");
  const server = localKafka("kafka", {
    home,
    port: () => ports.kafka,
    controllerPort: () => ports.kafkaController,
  });
  return {
    ...server,
    async start() {
      if (server.pid() === undefined) rmSync(home, { recursive: true, force: true });
      await server.start();
    },
  };
}

export interface BenchStack {
  readonly gatewayUrl: string;
  /** Connection URLs of the bench databases by name (catalog, orders, audit, ceiling). */
  readonly databases: Readonly<Record<string, string>>;
  readonly redisUrl: string;
  readonly kafkaBrokers: string;
  readonly catalogAddress: string;
  readonly productPath: string;
  readonly productId: string;
  /** The product as the gateway answers it: the bytes the ceilings send too. */
  readonly productJson: string;
  /** A fresh access token from identity, through the gateway's login route. */
  login(): Promise<string>;
  /** Pids whose CPU is ours: the services, Redis, PostgreSQL (with its backends) and Kafka. */
  pids(): Record<string, number | number[]>;
  stop(): Promise<void>;
}

async function text(response: Response, what: string): Promise<string> {
  const body = await response.text();
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${body}`);
  return body;
}

const json = async (response: Response, what: string) =>
  JSON.parse(await text(response, what)) as Record<string, unknown>;

/**
 * The bench's services from their bundles, each its own process as `npm start` runs them,
 * on the bench's ports with databases of their own (bench_catalog, bench_orders, ...) on
 * the local PostgreSQL, the shared local Redis and Kafka. Servers already running are
 * reused and left running.
 */
export async function startStack(
  ports: BenchPorts,
  logDir: string,
  options: {
    readonly cpuProfileDir?: string | undefined;
    /** The service --cpu-prof profiles. */
    readonly profiled?: string;
    readonly gatewayBundle?: string | undefined;
    /** Flags every service gets after the image's own. */
    readonly nodeFlags?: readonly string[];
    /** Each service records its pauses in `logDir` (pause-watch.ts). */
    readonly pauseLog?: boolean;
  } = {},
): Promise<BenchStack> {
  const { cpuProfileDir, profiled = "gateway", gatewayBundle, nodeFlags = [], pauseLog = false } = options;
  const registry = (await loadServiceRegistry()).map((s) => ({
    ...s,
    port: s.name === "gateway" ? ports.gateway : ports.services[s.name]!,
  }));
  const services = runnableServices(registry, benchServices);
  const kafkaServer = benchKafka(ports);
  const needed = localServers
    .filter((s) => serversFor(services).includes(s.name))
    .map((s) => (s.name === "kafka" ? kafkaServer : s));
  const ours = needed.filter((s) => s.pid() === undefined);
  const started: ServiceProcess[] = [];
  const stop = async () => {
    await stopAll(started);
    for (const server of [...ours].reverse()) await server.stop();
  };
  try {
    const servers = await startServers(needed);
    if (servers["PLATFORM_KAFKA_BROKERS"]) await ensureTopics(servers["PLATFORM_KAFKA_BROKERS"], registry);
    const ceiling = { name: "ceiling", databaseAccess: "read-write" } as const;
    const urls = await provisionDatabases(
      servers["PLATFORM_POSTGRES_URL"]!,
      [...services.filter((s) => s.stores.includes("postgres")), ceiling],
      "bench_",
    );
    // The ceiling is plain SQL that makes its own tables: it runs as its database's owner.
    const databases = Object.fromEntries(
      Object.entries(urls).map(([name, u]) => [name, name === ceiling.name ? u.migrationUrl : u.url]),
    );
    const outDir = join(repoRoot, "dist", "bench");
    const bundles = await step(`bundling ${benchServices.join(", ")}`, () =>
      Promise.all(services.map((s) => bundleService(repoRoot, s.name, outDir))),
    );
    const context = {
      services: registry,
      databases: urls,
      servers,
      gatewayPort: ports.gateway,
      adminEmail: "admin@platform.local",
      adminPassword: localSecret("admin-password"),
    };
    for (const [i, service] of services.entries()) {
      const profile = cpuProfileDir && service.name === profiled;
      const pauses = join(logDir, `${service.name}${pauseLogSuffix}`);
      rmSync(pauses, { force: true });
      const env = {
        ...localServiceEnv(service, context),
        ...benchEnv[service.name],
        ...(profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${cpuProfileDir}` } : {}),
        ...(pauseLog ? { BENCH_PAUSE_LOG: pauses } : {}),
      };
      const bundle = service.name === "gateway" && gatewayBundle ? gatewayBundle : bundles[i]!.file;
      const flags = [...serviceNodeFlags, ...nodeFlags, ...(pauseLog ? ["--import", pauseWatch] : [])];
      const running = startProcess(service.name, [...flags, bundle], env, logDir);
      started.push(running);
      const healthy =
        service.protocol === "http"
          ? () => httpOk(`http://127.0.0.1:${ports.gateway}/readyz`)
          : () => grpcServing(`127.0.0.1:${service.port}`);
      await step(`starting ${service.name} on 127.0.0.1:${service.port}`, () =>
        waitHealthy(running, healthy, 60_000),
      );
    }
    const catalogAddress = `127.0.0.1:${ports.services["catalog"]}`;
    await seedDemoData(
      { catalog: catalogAddress, identity: `127.0.0.1:${ports.services["identity"]}` },
      localCaller("gateway"),
    );
    await step(`seeding ${readProducts + orderProducts} bench products`, () =>
      seedBenchProducts(databases["catalog"]!, readProducts),
    );

    const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    const login = async () => {
      const response = await fetch(`${gatewayUrl}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: demoUser.email, password: demoUser.password }),
      });
      return String((await json(response, "logging in as the demo user"))["accessToken"]);
    };
    const token = await login();
    const list = await json(await fetch(`${gatewayUrl}/v1/products?limit=1`), "listing products");
    const productId = String((list["items"] as { id: string }[])[0]!.id);
    const productPath = `/v1/products/${productId}`;
    // The first read fills catalog's cache; the second is what every measured request gets.
    for (let i = 0; i < 2; i++)
      await fetch(`${gatewayUrl}${productPath}`, { headers: { authorization: `Bearer ${token}` } });
    const product = await fetch(`${gatewayUrl}${productPath}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const productJson = await text(product, `reading ${productPath}`);

    return {
      gatewayUrl,
      databases,
      redisUrl: servers["PLATFORM_REDIS_URL"]!,
      kafkaBrokers: servers["PLATFORM_KAFKA_BROKERS"]!,
      catalogAddress,
      productPath,
      productId,
      productJson,
      login,
      pids: () => {
        const pids: Record<string, number | number[]> = {};
        for (const p of started) if (p.child.pid) pids[p.name] = p.child.pid;
        for (const server of [redisServer, kafkaServer]) {
          const pid = server.pid();
          if (pid) pids[server.name] = pid;
        }
        const postmaster = postgresServer.pid();
        if (postmaster) pids["postgres"] = withChildren(postmaster);
        return pids;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
