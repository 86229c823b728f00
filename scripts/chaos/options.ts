import { parseArgs } from "node:util";

/** Every experiment the suite knows, in the order a full run takes them. */
export const experimentNames = [
  "redis-kill",
  "postgres-restart",
  "kafka-kill",
  "opensearch-stop",
  "slow-dependency",
  "zone-kill",
] as const;

export type ExperimentName = (typeof experimentNames)[number];

export const experimentTitles: Readonly<Record<ExperimentName, string>> = {
  "redis-kill": "Redis killed (SIGKILL) for the fault time, then started again",
  "postgres-restart": "PostgreSQL restarted (fast shutdown, then start)",
  "kafka-kill": "the Kafka broker killed (SIGKILL) for the fault time, then started again",
  "opensearch-stop": "OpenSearch stopped for the fault time, then started again",
  "slow-dependency": "orders' PostgreSQL slowed through Toxiproxy (latency toxic) for the fault time",
  "zone-kill": "every process of zone b killed (SIGKILL) mid-load, then started again",
};

export interface ChaosOptions {
  readonly experiments: readonly ExperimentName[];
  /** Seconds of steady load before each fault, and at least as long again after recovery. */
  readonly loadSeconds: number;
  /** How long each fault is held (a restart is not held: it is stopped and started). */
  readonly faultSeconds: number;
  /** Latency the slow-dependency experiment adds to each answer of the slowed store, in ms. */
  readonly slowMs: number;
  /** The chaos platform's gateway port (zone a); its services keep their registry ports. */
  readonly gatewayPort: number;
  readonly out: string | undefined;
}

export const usage = `usage: npm run chaos [-- options]

Runs fault experiments against a platform of its own (its own PostgreSQL, Redis, Kafka,
OpenSearch, OpenTelemetry Collector, Prometheus and Toxiproxy on private ports and data in
.local/chaos/, all started and stopped by the suite), each under steady load through the
gateway: product reads, searches, sign-ups, and orders with an Idempotency-Key retried with
the same key until their deadline. Prints a verdict table and exits 1 when a target is missed.

experiments (default: all, in this order):
${experimentNames.map((name) => `  ${name.padEnd(17)} ${experimentTitles[name]}`).join("\n")}

options:
  --only a,b         run only these experiments
  --load-seconds S   steady load before each fault, and after recovery (default 20)
  --fault-seconds S  how long a fault is held (default 10)
  --slow-ms N        latency slow-dependency adds to each answer of the store (default 6000,
                     past PlaceOrder's 5 s deadline)
  --port N           the chaos gateway's port (default 18580; zones add 100 each)
  --out FILE         also write every measurement as JSON
  --help             this text

With zone-kill the platform runs three zones (every service in zones a, b and c), else one.
Service ports are the registry's (7101-7106; zones b and c 100 and 200 up): run it under
flock /tmp/platform.lock when other checkouts may start services on this machine.`;

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(value) || value < min || value > max)
    throw new Error(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  return value;
}

/** Experiments by name, in the suite's order; every unknown name is reported at once. */
export function selectExperiments(raw: string | undefined): ExperimentName[] {
  if (raw === undefined) return [...experimentNames];
  const wanted = raw
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (wanted.length === 0) throw new Error("--only needs at least one experiment name");
  const unknown = wanted.filter((name) => !(experimentNames as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(
      `--only: unknown experiment ${unknown.map((n) => `"${n}"`).join(", ")}; expected some of ${experimentNames.join(", ")}`,
    );
  return experimentNames.filter((name) => wanted.includes(name));
}

/** The command line as options, or undefined for --help. Throws on a bad value, naming it. */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      only: { type: "string" },
      "load-seconds": { type: "string" },
      "fault-seconds": { type: "string" },
      "slow-ms": { type: "string" },
      port: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  if (values.out !== undefined && values.out.trim() === "") throw new Error("--out needs a file name");
  return {
    experiments: selectExperiments(values.only),
    loadSeconds: whole("load-seconds", values["load-seconds"], 20, 2, 600),
    faultSeconds: whole("fault-seconds", values["fault-seconds"], 10, 1, 300),
    slowMs: whole("slow-ms", values["slow-ms"], 6_000, 10, 60_000),
    gatewayPort: whole("port", values.port, 18_580, 1024, 65_335),
    out: values.out,
  };
}
