import { join } from "node:path";
import { repoRoot } from "../../local/paths.js";
import { type CpuReading, type CpuUse, cpuBetween, readCpu } from "./cpu.js";
import { type Measurement, runGenerator } from "./measurement.js";
import type { BenchOptions } from "./options.js";
import { waitForQuiet } from "./quiet.js";
import type { ScenarioName } from "./scenarios.js";
import { runWrk } from "./wrk.js";

/** Everything a scenario needs to put load on its target. */
export interface MeasureContext {
  readonly options: BenchOptions;
  readonly cores: number;
  readonly urls: Readonly<Record<"bare" | "raw-hop" | "gateway", string>>;
  readonly catalogAddress: string;
  readonly productId: string;
  /** The request headers (the bearer token), for wrk and the open loop alike. */
  readonly headers: Readonly<Record<string, string>>;
  /** The wrk Lua script setting those headers. */
  readonly wrkScript: string;
  /** Processes whose CPU is ours, by name. */
  pids(): Record<string, number>;
  /** The gateway's closed-loop rate of this run, once measured. */
  readonly peak?: number;
  log(message: string): void;
}

export interface ScenarioRun {
  readonly scenario: ScenarioName;
  readonly run: number;
  readonly measurement: Measurement;
  readonly cpu: CpuUse;
  readonly attempts: number;
  /** Other work on the machine took more than `maxForeignShare` of it throughout. */
  readonly noisy: boolean;
}

/** Beyond this share of the two cores used by others, a measurement is retried. */
export const maxForeignShare = 0.05;
const attempts = 3;
const generators = join(repoRoot, "scripts", "bench");

async function closedLoop(
  url: string,
  context: MeasureContext,
  onMeasuring: () => void,
): Promise<Measurement> {
  const run = { url, scriptFile: context.wrkScript, connections: context.options.connections };
  await runWrk({ ...run, seconds: context.options.warmupSeconds });
  onMeasuring();
  const result = await runWrk({ ...run, seconds: context.options.seconds });
  return {
    requestsPerSecond: result.requestsPerSecond,
    requests: result.requests,
    errors: result.badStatus + result.socketErrors,
    latency: result.latency,
  };
}

function load(
  scenario: ScenarioName,
  context: MeasureContext,
  onMeasuring: () => void,
): Promise<Measurement> {
  const { options } = context;
  const timing = { warmupSeconds: options.warmupSeconds, seconds: options.seconds };
  switch (scenario) {
    case "bare":
    case "raw-hop":
    case "gateway":
      return closedLoop(context.urls[scenario], context, onMeasuring);
    case "grpc-direct":
      return runGenerator(
        join(generators, "grpc-direct.ts"),
        {
          address: context.catalogAddress,
          productId: context.productId,
          connections: options.connections,
          ...timing,
        },
        onMeasuring,
      );
    case "gateway-half":
      if (!context.peak) throw new Error("gateway-half needs the gateway's peak of the same run");
      return runGenerator(
        join(generators, "open-loop.ts"),
        {
          url: context.urls.gateway,
          headers: context.headers,
          rate: Math.round(context.peak / 2),
          connections: options.connections,
          ...timing,
        },
        onMeasuring,
      );
  }
}

const foreignShare = (cpu: CpuUse, cores: number) => cpu.foreign / (cpu.seconds * cores);

/**
 * One scenario of one run: waits for the machine to be quiet, measures, and retries when
 * others' work took more than `maxForeignShare` of the cores meanwhile; keeps the quietest try.
 */
export async function measure(
  scenario: ScenarioName,
  run: number,
  context: MeasureContext,
): Promise<ScenarioRun> {
  let best: ScenarioRun | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const quiet = await waitForQuiet({
      cores: context.cores,
      maxBusy: 0.1,
      timeoutSeconds: context.options.quietWaitSeconds,
    });
    if (!quiet.quiet)
      context.log(`${scenario}: the machine stayed ${(quiet.busy * 100).toFixed(0)}% busy; measuring anyway`);
    let before: CpuReading | undefined;
    const measurement = await load(scenario, context, () => {
      before = readCpu(context.pids());
    });
    if (!before) throw new Error(`${scenario}: the load generator never started measuring`);
    const cpu = cpuBetween(before, readCpu(context.pids()), context.cores, measurement.generatorCpuSeconds);
    const noisy = foreignShare(cpu, context.cores) > maxForeignShare;
    const result = { scenario, run, measurement, cpu, attempts: attempt, noisy };
    if (!best || cpu.foreign < best.cpu.foreign) best = { ...result };
    if (!noisy) return result;
    context.log(
      `${scenario}: others used ${(foreignShare(cpu, context.cores) * 100).toFixed(0)}% of the cores meanwhile; ${attempt < attempts ? "measuring again" : "keeping the quietest try"}`,
    );
  }
  return { ...best!, attempts };
}
