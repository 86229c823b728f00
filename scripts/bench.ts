/**
 * `npm run bench [-- options]`: the gateway's read path against the ceilings of this
 * machine, as a table of scenarios with the median of several runs, the ratios and the
 * targets. `--help` lists the options; README.md ("Benchmark") explains the results.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ensureDebianPackages } from "../local/apt.js";
import { dataDir } from "../local/paths.js";
import type { ServiceProcess } from "../local/processes.js";
import { log } from "../local/progress.js";
import { loadServiceRegistry } from "../services/registry.js";
import { formatProfile, newestProfile, sourceMapResolver, summarizeProfile } from "./bench/cpu-profile.js";
import { describeMachine, machineLine } from "./bench/machine.js";
import { type MeasureContext, measure, type ScenarioRun } from "./bench/measure.js";
import { type BenchOptions, parseBenchArgs, usage } from "./bench/options.js";
import { formatPauses } from "./bench/pauses.js";
import { benchPorts, refuseTakenPorts } from "./bench/ports.js";
import { type CeilingRole, startCeiling, stopAll } from "./bench/processes.js";
import { waitForQuiet } from "./bench/quiet.js";
import { cpuTable, scenarioTable, summarize, verdicts, verdictTable } from "./bench/report.js";
import { prepareResultsFile } from "./bench/results-file.js";
import { type BenchStack, startStack } from "./bench/stack.js";

async function bench(options: BenchOptions): Promise<void> {
  const outFile = options.out ? prepareResultsFile(options.out) : undefined;
  const machine = describeMachine();
  log(`machine: ${machineLine(machine)}`);
  ensureDebianPackages(["wrk"]);
  const ports = benchPorts(
    options.basePort,
    (await loadServiceRegistry()).map((s) => s.name),
  );
  await refuseTakenPorts(ports);

  const quiet = await waitForQuiet({
    cores: machine.cores,
    maxBusy: 0.1,
    maxLoad: 0.5,
    timeoutSeconds: options.quietWaitSeconds,
    onWait: (busy, load) =>
      log(`waiting for a quiet machine: ${(busy * 100).toFixed(0)}% busy, load average ${load.toFixed(2)}`),
  });
  const loadAtStart = describeMachine().loadAverage;
  if (!quiet.quiet)
    log(
      `the machine did not get quiet in ${options.quietWaitSeconds} s (load ${loadAtStart.join(" ")}); measuring anyway`,
    );

  const logDir = dataDir("bench", "logs");
  const profileDir = options.cpuProfileDir ? resolve(options.cpuProfileDir) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  let stack: BenchStack | undefined;
  const ceilings: ServiceProcess[] = [];
  const runs: ScenarioRun[] = [];
  const cleanUp = async () => {
    await stopAll(ceilings);
    await stack?.stop();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping what the bench started`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const gatewayBundle = options.gatewayBundle ? resolve(options.gatewayBundle) : undefined;
    stack = await startStack(ports, logDir, {
      cpuProfileDir: profileDir,
      profiled: options.profiledService,
      gatewayBundle,
      nodeFlags: options.nodeFlags,
      pauseLog: options.gcLog,
    });
    const body = { BENCH_BODY: stack.productJson };
    const hop = (front: number, backend: number) => ({ PORT: String(front), BACKEND_PORT: String(backend) });
    // Backends before the fronts that connect to them.
    const ceilingProcesses: [role: CeilingRole, name: string, env: Record<string, string>][] = [
      ["bare", "bare", { ...body, PORT: String(ports.bare) }],
      ["backend", "backend", { ...body, PORT: String(ports.backend) }],
      ["front", "front", hop(ports.front, ports.backend)],
      [
        "backend-pg",
        "backend-pg",
        { DATABASE_URL: stack.databases["catalog"]!, PORT: String(ports.backendPg) },
      ],
      ["front", "front-pg", hop(ports.frontPg, ports.backendPg)],
    ];
    for (const [role, name, env] of ceilingProcesses)
      ceilings.push(await startCeiling(role, name, env, logDir));
    const pids = () => {
      const all = stack!.pids();
      for (const c of ceilings) if (c.child.pid) all[c.name] = c.child.pid;
      return all;
    };
    const url = (port: number) => `http://127.0.0.1:${port}${stack!.productPath}`;
    for (let run = 1; run <= options.runs; run++) {
      const headers = { Authorization: `Bearer ${await stack.login()}` };
      let context: MeasureContext = {
        options,
        cores: machine.cores,
        urls: {
          bare: url(ports.bare),
          "raw-hop": url(ports.front),
          "pg-read": url(ports.frontPg),
          gateway: url(ports.gateway),
          orders: `${stack.gatewayUrl}/v1/orders`,
        },
        catalogAddress: stack.catalogAddress,
        productId: stack.productId,
        headers,
        scriptDir: logDir,
        databases: stack.databases,
        redisUrl: stack.redisUrl,
        kafkaBrokers: stack.kafkaBrokers,
        pids,
        rates: {},
        log,
        pauseLogDir: options.gcLog ? logDir : undefined,
      };
      for (const scenario of options.scenarios) {
        const result = await measure(scenario, run, context);
        runs.push(result);
        const m = result.measurement;
        log(
          `run ${run}/${options.runs} ${scenario}: ${Math.round(m.requestsPerSecond)} req/s, p50 ${m.latency.p50.toFixed(2)} p95 ${m.latency.p95.toFixed(2)} p99 ${m.latency.p99.toFixed(2)} ms, ${m.errors} errors`,
        );
        if (result.pauses)
          log(`run ${run}/${options.runs} ${scenario}: ${formatPauses(result.pauses, m.requests)}`);
        context = { ...context, rates: { ...context.rates, [scenario]: m.requestsPerSecond } };
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanUp();
  }

  const summaries = summarize(runs, machine.cores);
  const list = verdicts(summaries);
  const loadGenerators =
    "wrk -t1 (closed loop), own node:net generator (open loop), thin client in one process (gRPC direct)";
  console.log(`
npm run bench, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC${profileDir ? `  (${options.profiledService} profiled: not comparable)` : ""}
machine: ${machineLine({ ...machine, loadAverage: loadAtStart })}
load:    ${options.connections} connections, ${options.warmupSeconds} s warm-up + ${options.seconds} s per scenario, median of ${options.runs} run(s);
         ${loadGenerators}; on the same cores as the servers, nothing pinned${
           options.nodeFlags.length > 0
             ? `\nflags:   the services ran with ${options.nodeFlags.join(" ")} added: not comparable`
             : ""
         }

${scenarioTable(summaries)}

${cpuTable(summaries)}

${verdictTable(list)}`);
  if (profileDir) {
    const file = newestProfile(profileDir);
    // Per request of the first scenario measured: the one the profile was taken for.
    const perRequest = summaries[0]?.cpuPerRequestUs[options.profiledService];
    if (file) {
      const summary = summarizeProfile(JSON.parse(readFileSync(file, "utf8")), sourceMapResolver());
      console.log(`\n${formatProfile(options.profiledService, summary, perRequest)}\n(${file})`);
    }
  }
  if (outFile) {
    writeFileSync(
      outFile,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: { ...machine, loadAverageAtStart: loadAtStart, quietBeforeStart: quiet.quiet },
          options,
          loadGenerators,
          scenarios: summaries,
          verdicts: list,
          runs,
        },
        null,
        2,
      )}\n`,
    );
    log(`wrote ${outFile}`);
  }
}

try {
  const options = parseBenchArgs(process.argv.slice(2));
  if (!options) console.log(usage);
  else await bench(options);
} catch (err) {
  console.error(`npm run bench failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
