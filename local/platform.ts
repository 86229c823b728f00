import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bundleService } from "../scripts/build/bundle.js";
import { loadServiceRegistry, type RegisteredService } from "../services/registry.js";
import { provisionDatabases } from "./databases.js";
import { grpcServing, httpOk } from "./health.js";
import { dataDir, repoRoot } from "./paths.js";
import { portOpen } from "./process.js";
import {
  signalServiceProcess,
  startServiceProcess,
  stopServiceProcess,
  waitHealthy,
  type ZonedProcess,
} from "./processes.js";
import { log, step } from "./progress.js";
import { localSecret } from "./secrets.js";
import { seedDemoData } from "./seed.js";
import type { LocalServer } from "./server.js";
import { localServers, startServers } from "./servers.js";
import { type LocalContext, localCaller, localServiceEnv } from "./service-env.js";
import { ensureTopics } from "./topics.js";
import { type ZoneName, zonePort, zonesOf } from "./zones.js";

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
   * Settings on top of local mode's, by service name: `{ gateway: { RATE_LIMIT_READ: ... } }`
   * (the fuzz run raises the gateway's rate limits this way). Unknown services are refused.
   */
  readonly env?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Simulated zones, 1 to 3 (default 1): every service runs once per zone (a, b, c), zone a
   * on the usual ports, b and c 100 and 200 up (local/zones.ts); callers balance over all.
   */
  readonly zones?: number;
  /**
   * Rewrites a service's whole environment last, for what depends on the values local mode
   * made (the chaos suite points orders' database URL, password and all, at a fault proxy).
   */
  readonly serviceEnv?: (service: RegisteredService, env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
}

export interface RunningPlatform {
  /** The service processes running now, each with its zone; restarted ones replace the stopped. */
  readonly services: readonly ZonedProcess[];
  /** The zones the platform runs in. */
  readonly zones: readonly ZoneName[];
  /** Each zone's gateway: zone a's is `gatewayUrl`. */
  readonly gatewayUrls: Readonly<Partial<Record<ZoneName, string>>>;
  readonly gatewayUrl: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
  readonly adminPasswordGenerated: boolean;
  readonly seeded: readonly string[];
  /** Where telemetry can be read: the servers' PLATFORM_COLLECTOR_* and PLATFORM_PROMETHEUS_URL. */
  readonly telemetry: Readonly<Record<string, string>>;
  /**
   * Ends every service process of `zone` and resolves once they have exited: SIGKILL (the
   * default) is a zone lost at once, nothing drained; SIGTERM is a graceful drain.
   */
  stopZone(zone: ZoneName, signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts `zone`'s processes that are not running, callees first, and resolves once all are healthy. */
  startZone(zone: ZoneName): Promise<void>;
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
  const zones = zonesOf(options.zones ?? 1);
  if (options.wipe) {
    await Promise.all(localServers.map((s: LocalServer) => s.stop()));
    rmSync(dataDir(), { recursive: true, force: true });
    log(`wiped ${dataDir()}`);
  }
  const registry = await loadServiceRegistry();
  const services = runnableServices(registry, options.services);
  const unknownEnv = Object.keys(options.env ?? {}).filter((name) => !registry.some((s) => s.name === name));
  if (unknownEnv.length > 0) throw new Error(`settings given for unknown services: ${unknownEnv.join(", ")}`);
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
  const context: LocalContext = {
    services: registry,
    databases,
    servers,
    gatewayPort: options.gatewayPort,
    adminEmail: "admin@platform.local",
    adminPassword,
    zones,
    ...(options.faults ? { faults: options.faults } : {}),
  };
  const logDir = dataDir("logs");
  /** Every process started, restarted ones included, in start order. */
  const started: ZonedProcess[] = [];
  const running = () => started.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  const stopServices = async () => {
    for (const service of running().reverse()) await stopServiceProcess(service);
  };
  const portOf = (service: RegisteredService, zone: ZoneName) =>
    zonePort(service.protocol === "http" ? options.gatewayPort : service.port, zone);
  for (const zone of zones) {
    for (const service of services) {
      const port = portOf(service, zone);
      if (await portOpen(port)) {
        throw new Error(
          `${service.name}'s port ${port} (zone ${zone}) on 127.0.0.1 is taken by another program; stop it first`,
        );
      }
    }
  }
  /** Starts one replica and resolves once it is healthy. */
  const startReplica = async (i: number, zone: ZoneName) => {
    const service = services[i]!;
    const env = { ...localServiceEnv(service, context, zone), ...options.env?.[service.name] };
    const replica = startServiceProcess(
      service.name,
      bundles[i]!.file,
      options.serviceEnv ? options.serviceEnv(service, env) : env,
      logDir,
      { zone, ofZones: zones.length },
    );
    started.push(replica);
    const port = portOf(service, zone);
    const check =
      service.protocol === "http"
        ? () => httpOk(`http://127.0.0.1:${port}/readyz`)
        : () => grpcServing(`127.0.0.1:${port}`);
    await waitHealthy(replica, check, 60_000);
  };
  const isRunning = (name: string, zone: ZoneName) =>
    running().some((p) => p.name === name && p.zone === zone);
  try {
    for (const [i, service] of services.entries()) {
      const where = zones.length > 1 ? ` in zones ${zones.join(", ")}` : "";
      await step(`starting ${service.name}${where}`, async () => {
        // Zone a first: it applies the migrations the other replicas find done.
        await startReplica(i, zones[0]!);
        await Promise.all(zones.slice(1).map((zone) => startReplica(i, zone)));
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
    get services() {
      return running();
    },
    zones,
    gatewayUrls: Object.fromEntries(
      zones.map((zone) => [zone, `http://127.0.0.1:${zonePort(options.gatewayPort, zone)}`]),
    ),
    gatewayUrl: `http://127.0.0.1:${options.gatewayPort}`,
    adminEmail: context.adminEmail,
    adminPassword,
    adminPasswordGenerated: fromEnv === undefined,
    seeded,
    telemetry: Object.fromEntries(
      Object.entries(servers).filter(([key]) => /^PLATFORM_(COLLECTOR_|PROMETHEUS_)/.test(key)),
    ),
    async stopZone(zone, signal = "SIGKILL") {
      if (!zones.includes(zone)) throw new Error(`zone ${zone} is not running (zones: ${zones.join(", ")})`);
      const ofZone = running().filter((p) => p.zone === zone);
      await Promise.all(
        ofZone.map((p) =>
          signal === "SIGKILL" ? signalServiceProcess(p, "SIGKILL") : stopServiceProcess(p),
        ),
      );
      log(`zone ${zone} stopped (${signal}): ${ofZone.map((p) => p.name).join(", ")}`);
    },
    async startZone(zone) {
      if (!zones.includes(zone)) throw new Error(`zone ${zone} is not running (zones: ${zones.join(", ")})`);
      for (const [i, service] of services.entries()) {
        if (!isRunning(service.name, zone)) await startReplica(i, zone);
      }
      log(`zone ${zone} started`);
    },
    async stop() {
      await stopServices();
      if (!options.keepServers) await stopOurs();
    },
  };
}
