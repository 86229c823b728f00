import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bundleService } from "../scripts/build/bundle.js";
import { loadServiceRegistry, type RegisteredService } from "../services/registry.js";
import { provisionDatabases } from "./databases.js";
import { grpcServing, httpOk } from "./health.js";
import { dataDir, repoRoot } from "./paths.js";
import { portOpen } from "./process.js";
import { type ServiceProcess, startServiceProcess, stopServiceProcess, waitHealthy } from "./processes.js";
import { log, step } from "./progress.js";
import { localSecret } from "./secrets.js";
import { seedDemoData } from "./seed.js";
import type { LocalServer } from "./server.js";
import { localServers, startServers } from "./servers.js";
import { type LocalContext, localCaller, localServiceEnv } from "./service-env.js";
import { ensureTopics } from "./topics.js";

export interface PlatformOptions {
  /** Services to run; default: every service with an entry point. The gateway starts last. */
  readonly services?: readonly string[];
  readonly gatewayPort: number;
  /** Delete this checkout's local data before starting. */
  readonly wipe: boolean;
  /** Leave PostgreSQL, Redis... running after the services stop (those already running are never stopped). */
  readonly keepServers: boolean;
  /** A slow path switched on in the gRPC services (services/runtime/faults.ts). */
  readonly faults?: LocalContext["faults"];
  /**
   * Changes a service's local environment before it starts (the chaos suite raises rate
   * limits and routes a dependency through a fault proxy); the local one by default.
   */
  readonly serviceEnv?: (service: RegisteredService, env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
}

export interface RunningPlatform {
  readonly services: readonly ServiceProcess[];
  readonly gatewayUrl: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
  readonly adminPasswordGenerated: boolean;
  readonly seeded: readonly string[];
  /** Where telemetry can be read: the servers' PLATFORM_COLLECTOR_* and PLATFORM_PROMETHEUS_URL. */
  readonly telemetry: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** Services that can run: those with an entry point, in dependency order (callees first). */
export function runnableServices(
  registry: readonly RegisteredService[],
  wanted?: readonly string[],
): RegisteredService[] {
  const runnable = registry.filter((s) => existsSync(join(repoRoot, "services", s.name, "main.ts")));
  const chosen = wanted?.length ? wanted : runnable.map((s) => s.name);
  const unknown = chosen.filter((name) => !runnable.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `cannot run ${unknown.join(", ")}: runnable services are ${runnable.map((s) => s.name).join(", ")}`,
    );
  }
  const selected = runnable.filter((s) => chosen.includes(s.name));
  const order: RegisteredService[] = [];
  const visit = (s: RegisteredService) => {
    if (order.includes(s)) return;
    for (const callee of s.calls) {
      const dependency = selected.find((d) => d.name === callee);
      if (dependency) visit(dependency);
    }
    order.push(s);
  };
  for (const s of selected) visit(s);
  return order;
}

/**
 * The whole platform on 127.0.0.1: backing servers, databases, bundles, every service as
 * a process, demo data. Resolves once everything is healthy.
 */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  if (options.wipe) {
    await Promise.all(localServers.map((s: LocalServer) => s.stop()));
    rmSync(dataDir(), { recursive: true, force: true });
    log(`wiped ${dataDir()}`);
  }
  const registry = await loadServiceRegistry();
  const services = runnableServices(registry, options.services);
  // Servers someone else started (an earlier `npm run local -- up`) stay up afterwards.
  const ours = localServers.filter((s) => s.pid() === undefined);
  const stopOurs = async () => {
    for (const server of [...ours].reverse()) await server.stop();
  };
  const servers = await startServers(localServers).catch(async (err: unknown) => {
    await stopOurs();
    throw err;
  });
  await step("creating the registry's Kafka topics", () =>
    ensureTopics(servers["PLATFORM_KAFKA_BROKERS"]!, registry),
  );
  const databases = await step("provisioning a database and role per service", () =>
    provisionDatabases(
      servers["PLATFORM_POSTGRES_URL"]!,
      services.filter((s) => s.stores.includes("postgres")),
    ),
  );
  const bundles = await step(`bundling ${services.map((s) => s.name).join(", ")}`, () =>
    Promise.all(services.map((s) => bundleService(repoRoot, s.name))),
  );

  const fromEnv = process.env["PLATFORM_ADMIN_PASSWORD"];
  const adminPassword = fromEnv ?? localSecret("admin-password");
  const context = {
    services: registry,
    databases,
    servers,
    gatewayPort: options.gatewayPort,
    adminEmail: "admin@platform.local",
    adminPassword,
    ...(options.faults ? { faults: options.faults } : {}),
  };
  const logDir = dataDir("logs");
  const started: ServiceProcess[] = [];
  const stopServices = async () => {
    for (const service of [...started].reverse()) await stopServiceProcess(service);
  };
  const ports = services.map((s) => (s.protocol === "http" ? options.gatewayPort : s.port));
  for (const [i, port] of ports.entries()) {
    if (await portOpen(port)) {
      throw new Error(
        `${services[i]!.name}'s port ${port} on 127.0.0.1 is taken by another program; stop it first`,
      );
    }
  }
  try {
    for (const [i, service] of services.entries()) {
      await step(`starting ${service.name}`, async () => {
        const env = localServiceEnv(service, context);
        const running = startServiceProcess(
          service.name,
          bundles[i]!.file,
          options.serviceEnv ? options.serviceEnv(service, env) : env,
          logDir,
        );
        started.push(running);
        const check =
          service.protocol === "http"
            ? () => httpOk(`http://127.0.0.1:${options.gatewayPort}/readyz`)
            : () => grpcServing(`127.0.0.1:${service.port}`);
        await waitHealthy(running, check, 60_000);
      });
    }
  } catch (err) {
    await stopServices();
    if (!options.keepServers) await stopOurs();
    throw err;
  }
  const address = (name: string) => {
    const s = services.find((x) => x.name === name);
    return s ? `127.0.0.1:${s.port}` : undefined;
  };
  const seeded = await step("seeding demo data", () =>
    seedDemoData({ catalog: address("catalog"), identity: address("identity") }, localCaller("gateway")),
  );

  return {
    services: started,
    gatewayUrl: `http://127.0.0.1:${options.gatewayPort}`,
    adminEmail: context.adminEmail,
    adminPassword,
    adminPasswordGenerated: fromEnv === undefined,
    seeded,
    telemetry: Object.fromEntries(
      Object.entries(servers).filter(([key]) => /^PLATFORM_(COLLECTOR_|PROMETHEUS_)/.test(key)),
    ),
    async stop() {
      await stopServices();
      if (!options.keepServers) await stopOurs();
    },
  };
}
