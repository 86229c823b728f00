/**
 * The chaos suite: its own platform (servers, services, telemetry, Toxiproxy), then each
 * experiment under steady load, measured and judged. Import it only after
 * `applyChaosEnvironment()` (environment.ts): the local/ server modules read their data
 * folder when loaded.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { kafka } from "../../local/kafka.js";
import { opensearch } from "../../local/opensearch.js";
import { dataDir } from "../../local/paths.js";
import { type PlatformOptions, type RunningPlatform, startPlatform } from "../../local/platform.js";
import { postgres } from "../../local/postgres.js";
import { log } from "../../local/progress.js";
import { redis } from "../../local/redis.js";
import { localServers } from "../../local/servers.js";
import { loadServiceRegistry, type RegisteredService } from "../../services/registry.js";
import { AlertWatch, raisedSince } from "./alerts.js";
import { chaosServerPorts, toxiproxyPorts } from "./environment.js";
import {
  type Experiment,
  experimentNamed,
  type FaultTargets,
  type Timeline,
  type ZoneControl,
} from "./experiments.js";
import { EventLedger } from "./ledger.js";
import { LoadGenerator, type LoadRates, type LoadTarget } from "./load.js";
import {
  failuresByKind,
  isWrite,
  latencyPercentile,
  normalLatency,
  type RequestKind,
  recoveryMs,
} from "./measure.js";
import type { ChaosOptions } from "./options.js";
import { Toxiproxy, throughProxy } from "./toxiproxy.js";
import { checksOf, type ExperimentResult } from "./verdict.js";

/** The gateway's limits for the suite: one address sends every sign-up (the default allows 20 a minute). */
const gatewayLimits = {
  RATE_LIMIT_AUTH: "86400000/86400s",
  RATE_LIMIT_READ: "86400000/86400s",
  RATE_LIMIT_WRITE: "86400000/86400s",
};

/** Latency under which a request counts as normal when judging recovery, at the least. */
const latencyFloorMs: Readonly<Record<RequestKind, number>> = {
  read: 250,
  search: 250,
  signup: 1_000,
  order: 1_000,
};

/** How long the load goes on after a heal waiting for recovery, at most. */
const recoveryTimeoutMs = 120_000;
/** How long the event pipeline may take to drain after the load stops. */
const drainTimeoutMs = 120_000;

const shopperCount = 4;
const shopperPassword = "chaos-shopper-password-2026";

export interface SuiteHooks {
  /** Zone control, when the platform runs zones (branch zones). */
  readonly zones?: (platform: RunningPlatform) => ZoneControl | undefined;
  /** More for startPlatform (zones, when it has them). */
  readonly platformOptions?: Pick<PlatformOptions, "zones">;
  /** Rates other than the default (the short test's). */
  readonly rates?: LoadRates;
}

type Api = (
  method: string,
  path: string,
  options?: { token?: string; body?: unknown },
) => Promise<Record<string, unknown>>;

function gatewayApi(gatewayUrl: string): Api {
  return async (method, path, options = {}) => {
    const response = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(35_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  };
}

/** Bytes appended to a file since `offset`, as text. */
function readSince(file: string, offset: number): string {
  if (!existsSync(file)) return "";
  const size = statSync(file).size;
  if (size <= offset) return "";
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

const fileSize = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/** What each service logged since the offsets, its zones' logs one after the other. */
function serviceLogs(
  files: RunContext["logFiles"],
  offsets: ReadonlyMap<string, number>,
): Record<string, string> {
  const logs: Record<string, string> = {};
  for (const { name, file } of files)
    logs[name] = (logs[name] ?? "") + readSince(file, offsets.get(file) ?? 0);
  return logs;
}

/** Stops whatever an earlier run left of the suite's servers, and removes their data. */
async function wipe(toxiproxy: Toxiproxy): Promise<void> {
  await toxiproxy.stop();
  for (const server of [...localServers].reverse()) await server.stop();
  rmSync(dataDir(), { recursive: true, force: true });
}

/** Orders' database through Toxiproxy, for the slow-dependency experiment. */
function throughToxiproxyEnv(throughToxiproxy: boolean) {
  return (service: RegisteredService, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
    if (service.name === "orders" && throughToxiproxy && env["POSTGRES_URL"])
      return { ...env, POSTGRES_URL: throughProxy(env["POSTGRES_URL"], toxiproxyPorts.postgres) };
    return env;
  };
}

interface Fixture {
  readonly runId: string;
  readonly productIds: readonly string[];
  readonly shoppers: readonly string[];
}

/** Products with stock for any run, shoppers to order them, each cached once. */
async function prepare(api: Api, platform: RunningPlatform): Promise<Fixture> {
  const runId = randomBytes(4).toString("hex");
  const admin = String(
    (
      await api("POST", "/v1/auth/login", {
        body: { email: platform.adminEmail, password: platform.adminPassword },
      })
    )["accessToken"],
  );
  const productIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const product = await api("POST", "/v1/products", {
      token: admin,
      body: {
        sku: `CHAOS-${runId.toUpperCase()}-${i}`,
        name: `Chaos lantern ${i}`,
        description: "A lantern for fault drills.",
        category: "chaos",
        price: { amountMinor: 1000 + i, currency: "EUR" },
        stock: 10_000_000,
      },
    });
    productIds.push(String(product["id"]));
  }
  const shoppers: string[] = [];
  for (let i = 0; i < shopperCount; i++) {
    const email = `shopper-${runId}-${i}@chaos.test`;
    await api("POST", "/v1/auth/signup", {
      body: { email, password: shopperPassword, name: `Shopper ${i}` },
    });
    shoppers.push(email);
  }
  for (const id of productIds) await api("GET", `/v1/products/${id}`);
  return { runId, productIds, shoppers };
}

async function login(api: Api, email: string, password: string): Promise<string> {
  return String((await api("POST", "/v1/auth/login", { body: { email, password } }))["accessToken"]);
}

async function verifyChain(api: Api, platform: RunningPlatform): Promise<boolean | undefined> {
  try {
    const admin = await login(api, platform.adminEmail, platform.adminPassword);
    return (await api("POST", "/v1/audit/verify", { token: admin }))["valid"] === true;
  } catch (err) {
    log(`chaos: POST /v1/audit/verify failed: ${(err as Error).message}`);
    return undefined;
  }
}

interface RunContext {
  readonly options: ChaosOptions;
  readonly api: Api;
  readonly platform: RunningPlatform;
  readonly fixture: Fixture;
  readonly targets: FaultTargets;
  readonly ledger: EventLedger;
  readonly prometheusUrl: string;
  /** Every service process's log file, with its service's name (one per zone). */
  readonly logFiles: readonly { readonly name: string; readonly file: string }[];
  readonly rates: LoadRates | undefined;
}

function skipped(experiment: Experiment, reason: string): ExperimentResult {
  const none = { sent: 0, failed: 0 };
  return {
    name: experiment.name,
    title: experiment.name,
    skipped: reason,
    requests: { read: none, search: none, signup: none, order: none },
    hung: 0,
    p99FaultMs: { reads: Number.NaN, writes: Number.NaN },
    recoverySeconds: undefined,
    events: undefined,
    chainValid: undefined,
    alerts: [],
    earlierAlerts: [],
    checks: [],
    timeline: {},
  };
}

/** One experiment under load: steady, fault, heal, recovery, steady again; then the accounts. */
async function runExperiment(experiment: Experiment, context: RunContext): Promise<ExperimentResult> {
  const { options, api, fixture, targets } = context;
  const loadMs = options.loadSeconds * 1000;
  const shopperTokens = await Promise.all(
    fixture.shoppers.map((email) => login(api, email, shopperPassword)),
  );
  const target: LoadTarget = {
    gatewayUrl: context.platform.gatewayUrl,
    productIds: fixture.productIds,
    shopperTokens,
    searchWord: "lantern",
    writeDeadlineMs: Math.max(30_000, (options.faultSeconds + 20) * 1000),
    runId: `${fixture.runId}-${experiment.name}`,
  };
  const marks = await context.ledger.marks();
  const logOffsets = new Map(context.logFiles.map(({ file }) => [file, fileSize(file)]));
  const watch = new AlertWatch(context.prometheusUrl);
  const load = new LoadGenerator(target, context.rates);
  watch.start();
  load.start();
  const start = Date.now();
  let error: string | undefined;
  let healed = false;
  const times = { injectAt: 0, injectedAt: 0, healAt: 0, healedAt: 0 };
  try {
    await sleep(loadMs);
    log(`chaos: ${experiment.name}: injecting the fault`);
    times.injectAt = Date.now();
    await experiment.inject(targets).catch((err: unknown) => {
      error = `inject failed: ${(err as Error).message}`;
    });
    times.injectedAt = Date.now();
    if (experiment.held)
      await sleep(Math.max(0, options.faultSeconds * 1000 - (times.injectedAt - times.injectAt)));
  } finally {
    log(`chaos: ${experiment.name}: healing`);
    times.healAt = Date.now();
    try {
      await experiment.heal(targets);
      healed = true;
    } catch (err) {
      error = `${error ? `${error}; ` : ""}heal failed: ${(err as Error).message}`;
    }
    times.healedAt = Date.now();
  }
  const baseline = load.attempts.filter((a) => a.start >= start && a.start < times.injectAt);
  const rule = { windowMs: 3_000, minAttempts: 5, normalMs: normalLatency(baseline, latencyFloorMs) };
  for (;;) {
    await sleep(1_000);
    const recovered = recoveryMs(load.attempts, times.healAt, rule);
    if (recovered !== undefined && Date.now() >= times.healAt + recovered + loadMs) break;
    if (Date.now() > times.healedAt + recoveryTimeoutMs) break;
  }
  await load.stop();
  const end = Date.now();
  const { raised: alerts, earlier: earlierAlerts } = raisedSince((await watch.stop()).alerts, start);
  log(`chaos: ${experiment.name}: waiting for the event pipeline to drain`);
  const events = await context.ledger.drain(marks, drainTimeoutMs).catch((err: unknown) => {
    error = `${error ? `${error}; ` : ""}events not counted: ${(err as Error).message}`;
    return undefined;
  });
  const chainValid = await verifyChain(api, context.platform);
  const timeline: Timeline = { start, ...times, end };
  const outcomes = load.outcomes;
  const expected = experiment.expected ?? (() => false);
  const recovery = recoveryMs(load.attempts, times.healAt, rule);
  const faultEnd = Math.max(times.healedAt, times.injectAt + 1);
  const kinds = (write: boolean) =>
    (["read", "search", "signup", "order"] as const).filter((k) => isWrite(k) === write);
  const result: ExperimentResult = {
    name: experiment.name,
    title: experiment.name,
    ...(error ? { error } : {}),
    requests: failuresByKind(outcomes, (o) => expected(o, timeline)),
    hung: load.attempts.filter((a) => a.timedOut).length,
    p99FaultMs: {
      reads: latencyPercentile(outcomes, kinds(false), times.injectAt, faultEnd),
      writes: latencyPercentile(outcomes, kinds(true), times.injectAt, faultEnd),
    },
    recoverySeconds: recovery === undefined ? undefined : recovery / 1000,
    events,
    chainValid,
    alerts,
    earlierAlerts,
    checks:
      experiment.checks?.({
        timeline,
        outcomes,
        attempts: load.attempts,
        logs: serviceLogs(context.logFiles, logOffsets),
        alerts,
      }) ?? [],
    timeline: Object.fromEntries(Object.entries(timeline).map(([k, v]) => [k, v - start])),
  };
  if (!healed) throw Object.assign(new Error(error ?? "heal failed"), { result });
  return result;
}

export interface SuiteRun {
  readonly results: ExperimentResult[];
  readonly seconds: number;
}

/** Starts the chaos platform, runs the chosen experiments in order, stops everything. */
export async function runSuite(options: ChaosOptions, hooks: SuiteHooks = {}): Promise<SuiteRun> {
  const started = Date.now();
  const chosen = options.experiments.map(experimentNamed);
  const toxiproxy = new Toxiproxy(toxiproxyPorts.api);
  await wipe(toxiproxy);
  let toxiproxyProblem: string | undefined;
  const ordersPostgres = "orders-postgres";
  if (chosen.some((e) => e.name === "slow-dependency")) {
    try {
      await toxiproxy.start();
      await toxiproxy.createProxy(
        ordersPostgres,
        toxiproxyPorts.postgres,
        `127.0.0.1:${chaosServerPorts["PLATFORM_POSTGRES_PORT"]}`,
      );
    } catch (err) {
      toxiproxyProblem = (err as Error).message.split("\n")[0];
      log(`chaos: slow-dependency cannot run: ${toxiproxyProblem}`);
      await toxiproxy.stop();
    }
  }
  const throughToxiproxy = chosen.some((e) => e.name === "slow-dependency") && toxiproxyProblem === undefined;
  let platform: RunningPlatform | undefined;
  // Ctrl-C stops what the suite started, servers included, as the end of a run does.
  const interrupted = (signal: NodeJS.Signals) => {
    log(`chaos: ${signal}: stopping the chaos platform`);
    void Promise.allSettled([platform?.stop(), toxiproxy.stop()]).then(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    platform = await startPlatform({
      ...hooks.platformOptions,
      gatewayPort: options.gatewayPort,
      wipe: false,
      keepServers: false,
      env: { gateway: gatewayLimits },
      serviceEnv: throughToxiproxyEnv(throughToxiproxy),
    });
    const api = gatewayApi(platform.gatewayUrl);
    const registry = await loadServiceRegistry();
    const fixture = await prepare(api, platform);
    const targets: FaultTargets = {
      servers: { postgres, redis, kafka, opensearch },
      toxiproxy: throughToxiproxy ? { proxy: toxiproxy, ordersPostgres } : undefined,
      toxiproxyProblem,
      zones: hooks.zones?.(platform),
      slowMs: options.slowMs,
    };
    const context: RunContext = {
      options,
      api,
      platform,
      fixture,
      targets,
      ledger: new EventLedger(
        postgres.connection()["PLATFORM_POSTGRES_URL"]!,
        registry.filter((s) => s.topic !== undefined && s.stores.includes("postgres")).map((s) => s.name),
      ),
      prometheusUrl: platform.telemetry["PLATFORM_PROMETHEUS_URL"] ?? "",
      logFiles: platform.services.map((s) => ({ name: s.name, file: s.logFile })),
      rates: hooks.rates,
    };
    const results: ExperimentResult[] = [];
    let broken: string | undefined;
    for (const experiment of chosen) {
      const reason = broken ?? experiment.unavailable(targets);
      if (reason) {
        log(`chaos: ${experiment.name}: skipped (${reason})`);
        results.push(skipped(experiment, reason));
        continue;
      }
      log(`chaos: ${experiment.name}: starting`);
      try {
        results.push(await runExperiment(experiment, context));
      } catch (err) {
        const partial = (err as { result?: ExperimentResult }).result;
        if (!partial) throw err;
        results.push(partial);
        broken = `an earlier heal failed (${experiment.name})`;
      }
      const missed = checksOf(results.at(-1)!).filter((c) => c.met === false);
      log(
        `chaos: ${experiment.name}: ${missed.length === 0 ? "targets met" : `missed ${missed.map((c) => `${c.name} (${c.value})`).join("; ")}`}`,
      );
    }
    return { results, seconds: (Date.now() - started) / 1000 };
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await platform?.stop();
    await toxiproxy.stop();
  }
}
