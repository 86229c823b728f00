/**
 * The fault experiments: each injects one fault into the chaos platform and heals it, and
 * may say which answers are the fault's designed behaviour (searches while OpenSearch is
 * down answer 503) and add checks of its own. The suite (suite.ts) runs the load around them
 * and measures.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "../../local/process.js";
import type { LocalServer } from "../../local/server.js";
import type { SeenAlert } from "./alerts.js";
import type { Attempt, Outcome } from "./measure.js";
import type { ExperimentName } from "./options.js";
import type { Toxiproxy } from "./toxiproxy.js";
import type { Check } from "./verdict.js";

/** When each phase began, epoch ms. */
export interface Timeline {
  readonly start: number;
  readonly injectAt: number;
  /** The fault is in place (the server is down, the toxic added). */
  readonly injectedAt: number;
  readonly healAt: number;
  /** The heal is done (the server is back and healthy). */
  readonly healedAt: number;
  readonly end: number;
}

/** The zones a platform runs and how to kill and restart one (branch zones). */
export interface ZoneControl {
  readonly zones: readonly string[];
  kill(zone: string): Promise<void>;
  restart(zone: string): Promise<void>;
}

/** What experiments act on: the suite's own servers, proxies and zones. */
export interface FaultTargets {
  readonly servers: Readonly<Record<"postgres" | "redis" | "kafka" | "opensearch", LocalServer>>;
  /** Toxiproxy with orders' PostgreSQL behind it, when it could be built and started. */
  readonly toxiproxy: { readonly proxy: Toxiproxy; readonly ordersPostgres: string } | undefined;
  /** Why Toxiproxy is not there, if it is not. */
  readonly toxiproxyProblem: string | undefined;
  readonly zones: ZoneControl | undefined;
  readonly slowMs: number;
}

export interface ObservedRun {
  readonly timeline: Timeline;
  readonly outcomes: readonly Outcome[];
  readonly attempts: readonly Attempt[];
  /** What each service logged during the experiment (JSON lines), by service name. */
  readonly logs: Readonly<Record<string, string>>;
  readonly alerts: readonly SeenAlert[];
}

export interface Experiment {
  readonly name: ExperimentName;
  /** Why it cannot run on this platform; undefined when it can. */
  unavailable(targets: FaultTargets): string | undefined;
  /** Held for --fault-seconds between inject and heal; a restart is not held. */
  readonly held: boolean;
  inject(targets: FaultTargets): Promise<void>;
  heal(targets: FaultTargets): Promise<void>;
  /** Answers that are the fault's designed behaviour, not failures. */
  expected?(outcome: Outcome, timeline: Timeline): boolean;
  checks?(run: ObservedRun): Check[];
}

/** SIGKILL, the way a crash or an OOM kill ends a process: no shutdown of any kind. */
export async function killServer(server: LocalServer): Promise<void> {
  const pid = server.pid();
  if (pid === undefined) throw new Error(`${server.name} is not running: nothing to kill`);
  process.kill(pid, "SIGKILL");
  for (let waited = 0; isAlive(pid); waited += 50) {
    if (waited > 10_000) throw new Error(`${server.name} (pid ${pid}) survived SIGKILL for 10 s`);
    await sleep(50);
  }
}

/** Events a consumer parked on its dead-letter topic, from its log. */
export const deadLettered = (log: string) => [...log.matchAll(/"msg":"event dead-lettered"/g)].length;

/** Circuit state changes the gateway logged, by upstream: `{ orders: 3 }` openings. */
export function breakerOpenings(gatewayLog: string): Record<string, number> {
  const openings: Record<string, number> = {};
  for (const [, upstream] of gatewayLog.matchAll(/"msg":"circuit of ([\w-]+) open"/g))
    openings[upstream!] = (openings[upstream!] ?? 0) + 1;
  return openings;
}

const slowToxic = "chaos-latency";

export const experiments: readonly Experiment[] = [
  {
    name: "redis-kill",
    unavailable: () => undefined,
    held: true,
    inject: (t) => killServer(t.servers.redis),
    heal: (t) => t.servers.redis.start(),
  },
  {
    name: "postgres-restart",
    unavailable: () => undefined,
    held: false,
    inject: async (t) => {
      await t.servers.postgres.stop();
    },
    heal: (t) => t.servers.postgres.start(),
  },
  {
    name: "kafka-kill",
    unavailable: () => undefined,
    held: true,
    inject: (t) => killServer(t.servers.kafka),
    heal: (t) => t.servers.kafka.start(),
  },
  {
    name: "opensearch-stop",
    unavailable: () => undefined,
    held: true,
    inject: async (t) => {
      await t.servers.opensearch.stop();
    },
    heal: (t) => t.servers.opensearch.start(),
    // Search has no other store: while OpenSearch is away it answers 503, and says so.
    expected: (o, t) =>
      o.kind === "search" &&
      o.due >= t.injectAt &&
      o.due < t.healedAt + 5_000 &&
      o.status === 503 &&
      o.problem,
    checks: ({ outcomes, timeline, logs }) => {
      const searches = outcomes.filter(
        (o) => o.kind === "search" && o.due >= timeline.injectedAt && o.due < timeline.healAt,
      );
      const problems = searches.filter((o) => o.status === 503 && o.problem).length;
      return [
        {
          name: "searches while OpenSearch is stopped answered 503 problem+json",
          value: `${problems} of ${searches.length}`,
          target: "all",
          met: searches.length > 0 && problems === searches.length,
        },
        {
          name: "catalog events search dead-lettered (the index misses them until the product changes again)",
          value: String(deadLettered(logs["search"] ?? "")),
          target: "reported",
          met: undefined,
        },
      ];
    },
  },
  {
    name: "slow-dependency",
    unavailable: (t) => (t.toxiproxy ? undefined : `no Toxiproxy: ${t.toxiproxyProblem ?? "not started"}`),
    held: true,
    inject: (t) =>
      t.toxiproxy!.proxy.addToxic(t.toxiproxy!.ordersPostgres, {
        name: slowToxic,
        type: "latency",
        stream: "downstream",
        attributes: { latency: t.slowMs, jitter: 0 },
      }),
    heal: (t) => t.toxiproxy!.proxy.removeToxic(t.toxiproxy!.ordersPostgres, slowToxic),
    checks: ({ logs, alerts }) => {
      const openings = breakerOpenings(logs["gateway"] ?? "");
      const latencyAlerts = alerts.filter((a) => /api-latency|latency-burn/.test(a.name));
      return [
        {
          name: "the gateway's circuit breakers opened",
          value:
            Object.entries(openings)
              .map(([upstream, n]) => `${upstream} ${n}x`)
              .join(", ") || "none",
          target: "orders opens",
          met: (openings["orders"] ?? 0) > 0,
        },
        {
          name: "latency alerts in Prometheus",
          value: latencyAlerts.map((a) => `${a.name} ${a.state}`).join(", ") || "none",
          target: "pending or firing",
          met: latencyAlerts.length > 0,
        },
      ];
    },
  },
  {
    name: "zone-kill",
    unavailable: (t) =>
      t.zones?.zones.includes("b")
        ? undefined
        : "the platform runs one zone (startPlatform's zones come with branch zones)",
    held: true,
    inject: (t) => t.zones!.kill("b"),
    heal: (t) => t.zones!.restart("b"),
    checks: ({ alerts }) => {
      const burn = alerts.filter((a) => /burn/.test(a.name));
      return [
        {
          name: "SLO burn-rate alerts in Prometheus",
          value: burn.map((a) => `${a.name} ${a.state}`).join(", ") || "none",
          target: "reported",
          met: undefined,
        },
      ];
    },
  },
];

export function experimentNamed(name: ExperimentName): Experiment {
  const found = experiments.find((e) => e.name === name);
  if (!found) throw new Error(`no experiment named ${name}`);
  return found;
}
