import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { tail } from "./process.js";

/** A service process this run started; it ends with the run. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
}

/** Starts `node <bundle>` with `env`, its output appended to `<logDir>/<name>.log`. */
export function startServiceProcess(
  name: string,
  bundle: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
): ServiceProcess {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(process.execPath, ["--enable-source-maps", bundle], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return { name, child, logFile };
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

/** SIGTERM (graceful drain), then SIGKILL after `graceMs`. */
export async function stopServiceProcess(service: ServiceProcess, graceMs = 15_000): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise((resolve) => service.child.once("exit", resolve));
  service.child.kill("SIGTERM");
  const timer = setTimeout(() => service.child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
