import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { tail } from "./process.js";
import type { ZoneName } from "./zones.js";

/** A service process this run started; it ends with the run. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** The simulated zone it runs in (`npm start -- --zones N`); unset for the bench's processes. */
  readonly zone?: ZoneName;
}

/** A replica of a service in one of local mode's zones. */
export interface ZonedProcess extends ServiceProcess {
  readonly zone: ZoneName;
}

/**
 * The Node flags of every service process: in the image (the Dockerfile's NODE_OPTIONS and
 * ENTRYPOINT, held equal by a test), under `npm start` and in the bench.
 *
 * `--max-semi-space-size=8` (MiB) caps the young generation. Measured here, even on a bare
 * `node:http2` client and server: a tenth to a quarter of what the calls allocate is still
 * reachable at the next scavenge however long ago each call ended, so a scavenge copies a
 * share of all it collects, and a larger young generation (V8 grows it to 32 MiB) only makes
 * each pause longer: 7-10 ms in the gateway and catalog, against a median of 1.6-2 ms at
 * 8 MiB for about the same total GC time (README, Benchmark).
 */
export const serviceNodeOptions = ["--enable-source-maps", "--max-semi-space-size=8"] as const;

/**
 * V8 flags Node refuses in NODE_OPTIONS, so the image passes them on its ENTRYPOINT.
 *
 * `--single-threaded-gc`: V8's helper threads for marking and scavenging assume idle cores.
 * A pod runs under a CPU limit of one core or less and, here, every service shares two
 * cores, so the helpers take CPU from the main threads of the same and other processes
 * while the main thread waits for them. Measured with the bench's gateway-half scenario
 * (three runs each): p99 12-16 ms against 24-31, the longest stall 23-28 ms against 44-70,
 * and 5-10% less CPU per request in the gateway and catalog. The write path pays for it:
 * placing an order costs orders and audit about 15% more CPU and the outbox drains 6%
 * slower (two runs each way), as their marking moves onto the main thread. Only the read
 * path's tail has a target it missed, so the read path decides (README, Benchmark).
 */
export const serviceV8Flags = ["--single-threaded-gc"] as const;

export const serviceNodeFlags = [...serviceNodeOptions, ...serviceV8Flags] as const;

/**
 * Starts `node <bundle>` with `env`, its output appended to `<logDir>/<name>.log`, or
 * `<name>-<zone>.log` for a replica when several zones run.
 */
export function startServiceProcess(
  name: string,
  bundle: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
  replica: { readonly zone: ZoneName; readonly ofZones: number } = { zone: "a", ofZones: 1 },
): ZonedProcess {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, replica.ofZones > 1 ? `${name}-${replica.zone}.log` : `${name}.log`);
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(process.execPath, [...serviceNodeFlags, bundle], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return { name, child, logFile, zone: replica.zone };
}

/** Polls `check` until it holds; fails with the service's log if it exits or times out. */
export async function waitHealthy(
  service: ServiceProcess,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(
        `${service.name} exited with code ${service.child.exitCode}; its log ends:\n${tail(service.logFile)}`,
      );
    }
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(
    `${service.name} was not healthy after ${timeoutMs / 1000} s; its log ends:\n${tail(service.logFile)}`,
  );
}

/** Sends `signal` (SIGKILL: a crash, nothing drained) and resolves once the process has exited. */
export async function signalServiceProcess(service: ServiceProcess, signal: NodeJS.Signals): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise((resolve) => service.child.once("exit", resolve));
  service.child.kill(signal);
  await exited;
}

/** SIGTERM (graceful drain), then SIGKILL after `graceMs`. */
export async function stopServiceProcess(service: ServiceProcess, graceMs = 15_000): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise((resolve) => service.child.once("exit", resolve));
  service.child.kill("SIGTERM");
  const timer = setTimeout(() => service.child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
