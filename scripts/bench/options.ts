import { parseArgs } from "node:util";
import { benchPortCount } from "./ports.js";
import { type ScenarioName, scenarioNames, scenarioTitles, selectScenarios } from "./scenarios.js";
import { benchServices } from "./services.js";

export interface BenchOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly runs: number;
  readonly scenarios: readonly ScenarioName[];
  readonly out: string | undefined;
  /** The first of the bench's ports (gateway); the others follow it. */
  readonly basePort: number;
  /** How long to wait for a quiet machine before measuring anyway (and saying so). */
  readonly quietWaitSeconds: number;
  /** Write a V8 CPU profile of one service here (its numbers are then not comparable). */
  readonly cpuProfileDir: string | undefined;
  /** The service profiled with --cpu-prof. */
  readonly profiledService: string;
  /** Run this gateway bundle instead of bundling the working tree's (to compare two builds). */
  readonly gatewayBundle: string | undefined;
  /** Node and V8 flags every service gets after the image's own (to measure GC settings). */
  readonly nodeFlags: readonly string[];
  /** Record every service's GC pauses and event-loop stalls and name those at the backlog's peak. */
  readonly gcLog: boolean;
}

export const usage = `usage: npm run bench [-- options]

Measures the platform's paths through the real services (their bundles, as separate
processes, on real PostgreSQL, Redis and Kafka), each beside its ceiling on this machine
in the same run: the authenticated GET /v1/products/{id} cached and uncached, placing an
order, and the event pipeline from commit to the audit store; then checks the targets.

scenarios (default: all, in this order each run):
${scenarioNames.map((name) => `  ${name.padEnd(17)} ${scenarioTitles[name]}`).join("\n")}

options:
  --duration S       measured seconds per scenario (default 10)
  --warmup S         warm-up seconds before each (default 3)
  --connections N    concurrent connections or callers (default 10)
  --runs N           full runs; the report gives the median of each number (default 3)
  --scenarios a,b    only these, with the ones they take a rate from (gateway-half brings
                     gateway; event-pipeline brings place-order; kafka brings event-pipeline)
  --out FILE         also write every number, per run, and the machine as JSON
  --port N           first of 17 consecutive ports on 127.0.0.1 (default 18280); taken ports are refused
  --quiet-wait S     wait this long for a quiet machine before measuring anyway (default 600)
  --cpu-prof DIR     profile a service with V8's --cpu-prof into DIR and summarise where its
                     time goes (a profiled service is slower: use with --runs 1 --scenarios ...)
  --profile NAME     the service --cpu-prof profiles: ${benchServices.join(", ")} (default gateway)
  --gateway-bundle F run this gateway bundle (scripts/build/bundle.ts layout) instead of the working
                     tree's, e.g. one built from another commit, to compare two builds
  --node-flags="F"   Node and V8 flags for every service, after the image's own (a later flag
                     wins), e.g. --node-flags="--single-threaded-gc"; the report names them
  --gc-log           record each service's pauses over 5 ms (GCs by kind, event-loop stalls) and
                     log, per scenario, each one's full GCs, its longest pause, the pauses
                     under way when the open loop's backlog peaked, and the bytes its
                     scavenges promoted per request (also in --out's runs)
  --help             this text

environment: LOG_LEVEL (the services', default info), PLATFORM_* as for npm start`;

function positive(name: string, raw: string | undefined, fallback: number, max = 3600): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`--${name} must be a whole number from 1 to ${max} (got "${raw}")`);
  return value;
}

function profiledService(raw: string | undefined): string {
  if (raw === undefined) return "gateway";
  if (!benchServices.includes(raw))
    throw new Error(
      `--profile must name one of the bench's services: ${benchServices.join(", ")} (got "${raw}")`,
    );
  return raw;
}

/** Flags as Node takes them on its command line: each one starts with "--". */
function nodeFlags(raw: string | undefined): string[] {
  const flags = (raw ?? "").split(/\s+/).filter(Boolean);
  const bad = flags.find((flag) => !/^--[a-z0-9][a-z0-9_-]*(=\S+)?$/i.test(flag));
  if (bad !== undefined)
    throw new Error(
      `--node-flags takes Node or V8 flags such as "--single-threaded-gc --max-semi-space-size=16" (got "${bad}")`,
    );
  return flags;
}

/** The command line as options, or undefined for --help. Throws on a bad value, naming it. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      runs: { type: "string" },
      scenarios: { type: "string" },
      out: { type: "string" },
      port: { type: "string" },
      "quiet-wait": { type: "string" },
      "cpu-prof": { type: "string" },
      profile: { type: "string" },
      "gateway-bundle": { type: "string" },
      "node-flags": { type: "string" },
      "gc-log": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  const basePort = positive("port", values.port, 18280, 65535 - (benchPortCount - 1));
  if (basePort < 1024) throw new Error(`--port must be 1024 or more (got ${basePort})`);
  return {
    seconds: positive("duration", values.duration, 10),
    warmupSeconds: positive("warmup", values.warmup, 3),
    connections: positive("connections", values.connections, 10, 1000),
    runs: positive("runs", values.runs, 3, 20),
    scenarios: selectScenarios(values.scenarios),
    out: values.out,
    basePort,
    quietWaitSeconds: values["quiet-wait"] === "0" ? 0 : positive("quiet-wait", values["quiet-wait"], 600),
    cpuProfileDir: values["cpu-prof"],
    profiledService: profiledService(values.profile),
    gatewayBundle: values["gateway-bundle"],
    nodeFlags: nodeFlags(values["node-flags"]),
    gcLog: values["gc-log"],
  };
}
