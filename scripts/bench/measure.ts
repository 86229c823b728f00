import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../local/paths.js";
import { firstReadProduct, forgetCachedReadProducts } from "./bench-data.js";
import { type CpuReading, type CpuUse, cpuBetween, type NamedPids, readCpu } from "./cpu.js";
import { auditLatency, drainOutbox, waitForPipeline } from "./event-pipeline.js";
import { type Measurement, runGenerator } from "./measurement.js";
import type { BenchOptions } from "./options.js";
import { type PauseReport, readPauseLogs, summarizePauses } from "./pauses.js";
import { waitForQuiet } from "./quiet.js";
import { luaPlaceOrders, luaWalkProducts } from "./requests.js";
import type { ScenarioName } from "./scenarios.js";
import { readProducts } from "./stack.js";
import { runWrk, wrkScript } from "./wrk.js";

/** Everything a scenario needs to put load on its target. */
export interface MeasureContext {
  readonly options: BenchOptions;
  readonly cores: number;
  /** The product GET of each read scenario (the uncached ones append their own ids) and the orders URL. */
  readonly urls: Readonly<Record<"bare" | "raw-hop" | "pg-read" | "gateway" | "orders", string>>;
  readonly catalogAddress: string;
  readonly productId: string;
  /** The request headers (the bearer token), for wrk and the open loop alike. */
  readonly headers: Readonly<Record<string, string>>;
  /** Where wrk's Lua scripts go. */
  readonly scriptDir: string;
  readonly databases: Readonly<Record<string, string>>;
  readonly redisUrl: string;
  readonly kafkaBrokers: string;
  /** Processes whose CPU is ours, by name. */
  pids(): NamedPids;
  /** With --gc-log: where the services' pause logs are (pauses.ts). */
  readonly pauseLogDir?: string | undefined;
  /** The rates measured so far in this run, for the scenarios that load at a share of one. */
  readonly rates: Partial<Record<ScenarioName, number>>;
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
  /** With --gc-log: the services' pauses in the measured window. */
  readonly pauses?: PauseReport;
}

/** Beyond this share of the two cores used by others, a measurement is retried. */
export const maxForeignShare = 0.05;
const attempts = 3;
const generators = join(repoRoot, "scripts", "bench");

/**
 * wrk against `url`: the warm-up, then the measured run. `hook(first)` is the Lua request
 * hook of requests that change (requests.ts), numbering from `first`: the measured run
 * goes on where the warm-up stopped, so a walk never repeats a request.
 */
async function closedLoop(
  url: string,
  context: MeasureContext,
  onMeasuring: () => void,
  hook?: (first: number) => string,
): Promise<Measurement & { readonly sent: number }> {
  const script = (first: number) => {
    const file = join(context.scriptDir, "request.lua");
    writeFileSync(file, wrkScript(context.headers, hook?.(first)));
    return file;
  };
  const connections = context.options.connections;
  const warmup = await runWrk({
    url,
    scriptFile: script(0),
    connections,
    seconds: context.options.warmupSeconds,
  });
  // wrk counts answered requests; each connection may have had one more in flight.
  const first = warmup.requests + connections;
  onMeasuring();
  const r = await runWrk({ url, scriptFile: script(first), connections, seconds: context.options.seconds });
  return {
    requestsPerSecond: r.requestsPerSecond,
    requests: r.requests,
    errors: r.badStatus + r.socketErrors,
    latency: r.latency,
    sent: first + r.requests + connections,
  };
}

/** The uncached read and its ceiling walk the read products; running off their end would read a missing one. */
async function walkReadProducts(url: string, context: MeasureContext, onMeasuring: () => void) {
  const result = await closedLoop(url, context, onMeasuring, (first) =>
    luaWalkProducts(firstReadProduct + first),
  );
  if (result.sent > readProducts)
    throw new Error(
      `the uncached read walked ${result.sent} products, more than the ${readProducts} seeded; raise readProducts in scripts/bench/stack.ts`,
    );
  return result;
}

const rateOf = (context: MeasureContext, scenario: ScenarioName) => {
  const rate = context.rates[scenario];
  if (rate === undefined) throw new Error(`${scenario} must be measured first in the same run`);
  return rate;
};

/** Every producer's database: their outboxes must be empty before the pipeline is read. */
const pipeline = (context: MeasureContext) => ({
  audit: context.databases["audit"]!,
  producers: [context.databases["orders"]!, context.databases["catalog"]!],
});

/** Events committed at once for the drain scenarios. */
export const drainEvents = 20_000;

/** Connections, warm-up and measured seconds: every generator's timing. */
const timingOf = ({ connections, warmupSeconds, seconds }: BenchOptions) => ({
  connections,
  warmupSeconds,
  seconds,
});

async function eventPipeline(context: MeasureContext, onMeasuring: () => void): Promise<Measurement> {
  const { options } = context;
  let from = new Date();
  const orders = await runGenerator(
    join(generators, "open-loop.ts"),
    {
      url: context.urls.orders,
      headers: context.headers,
      rate: Math.max(1, Math.round(rateOf(context, "place-order") / 2)),
      ...timingOf(options),
      orders: { keyPrefix: `bench-pipeline-${Date.now()}` },
    },
    () => {
      from = new Date();
      onMeasuring();
    },
  );
  await waitForPipeline(pipeline(context));
  const events = await auditLatency(
    context.databases["audit"]!,
    from,
    new Date(from.getTime() + options.seconds * 1000),
  );
  return {
    ...events,
    errors: orders.errors,
    extra: {
      ordersPerSecond: orders.requestsPerSecond,
      orderP95: orders.latency.p95,
      eventsPerOrder: events.requests / orders.requests,
    },
  };
}

function kafkaCeiling(context: MeasureContext, onMeasuring: () => void, mode: "rate" | "drain") {
  const { options } = context;
  return runGenerator(
    join(generators, "kafka-ceiling.ts"),
    {
      brokers: context.kafkaBrokers,
      mode,
      ...(mode === "rate"
        ? { rate: Math.max(1, Math.round(rateOf(context, "event-pipeline"))) }
        : { count: drainEvents }),
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
    },
    onMeasuring,
  );
}

function load(
  scenario: ScenarioName,
  context: MeasureContext,
  onMeasuring: () => void,
): Promise<Measurement> {
  const timing = timingOf(context.options);
  switch (scenario) {
    case "bare":
    case "raw-hop":
    case "gateway":
      return closedLoop(context.urls[scenario], context, onMeasuring);
    case "grpc-direct":
      return runGenerator(
        join(generators, "grpc-direct.ts"),
        { address: context.catalogAddress, productId: context.productId, ...timing },
        onMeasuring,
      );
    case "gateway-half":
      return runGenerator(
        join(generators, "open-loop.ts"),
        {
          url: context.urls.gateway,
          headers: context.headers,
          rate: Math.round(rateOf(context, "gateway") / 2),
          ...timing,
        },
        onMeasuring,
      );
    case "pg-read":
      return walkReadProducts(context.urls["pg-read"], context, onMeasuring);
    case "gateway-uncached":
      return forgetCachedReadProducts(context.redisUrl).then(() =>
        walkReadProducts(context.urls.gateway, context, onMeasuring),
      );
    case "pg-write":
      return runGenerator(
        join(generators, "pg-write.ts"),
        { databaseUrl: context.databases["ceiling"], ...timing },
        onMeasuring,
      );
    case "place-order": {
      const prefix = `bench-${Date.now()}`;
      return closedLoop(context.urls.orders, context, onMeasuring, (first) =>
        luaPlaceOrders(`${prefix}-${first}`),
      );
    }
    case "event-pipeline":
      return eventPipeline(context, onMeasuring);
    case "kafka":
      return kafkaCeiling(context, onMeasuring, "rate");
    case "outbox-drain":
      return drainOutbox(pipeline(context), context.databases["orders"]!, drainEvents, onMeasuring);
    case "kafka-drain":
      return kafkaCeiling(context, onMeasuring, "drain");
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
    let from = 0;
    const measurement = await load(scenario, context, () => {
      before = readCpu(context.pids());
      from = Date.now();
    });
    if (!before) throw new Error(`${scenario}: the load generator never started measuring`);
    const cpu = cpuBetween(before, readCpu(context.pids()), context.cores, measurement.generatorCpuSeconds);
    const noisy = foreignShare(cpu, context.cores) > maxForeignShare;
    const peak = measurement.extra?.["maxBacklogAt"];
    const pauses = context.pauseLogDir
      ? summarizePauses(
          readPauseLogs(context.pauseLogDir),
          from,
          Date.now(),
          peak === undefined ? undefined : from + peak * 1000,
        )
      : undefined;
    const result = {
      scenario,
      run,
      measurement,
      cpu,
      attempts: attempt,
      noisy,
      ...(pauses ? { pauses } : {}),
    };
    if (!best || cpu.foreign < best.cpu.foreign) best = { ...result };
    if (!noisy) return result;
    context.log(
      `${scenario}: others used ${(foreignShare(cpu, context.cores) * 100).toFixed(0)}% of the cores meanwhile; ${attempt < attempts ? "measuring again" : "keeping the quietest try"}`,
    );
  }
  return { ...best!, attempts };
}
