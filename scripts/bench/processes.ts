import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../local/paths.js";
import { portOpen } from "../../local/process.js";
import { type ServiceProcess, stopServiceProcess, waitHealthy } from "../../local/processes.js";

/**
 * Server processes of the bench. Unlike `npm start` (local/processes.ts), their output goes
 * straight to the log file, not through this process: piping a log line per request here
 * would take CPU from the very cores being measured.
 */
export function startProcess(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  logDir: string,
): ServiceProcess {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, "w");
  const child = spawn(process.execPath, [...args], { cwd: repoRoot, env, stdio: ["ignore", out, out] });
  closeSync(out);
  return { name, child, logFile };
}

export type CeilingRole = "bare" | "front" | "backend" | "backend-pg";

/** A bench server (`scripts/bench/ceilings.ts <role>`), resolved once it accepts connections. */
export async function startCeiling(
  role: CeilingRole,
  name: string,
  env: Record<string, string>,
  logDir: string,
): Promise<ServiceProcess> {
  const server = startProcess(
    `ceiling-${name}`,
    ["--import", "tsx", join(repoRoot, "scripts", "bench", "ceilings.ts"), role],
    { PATH: process.env["PATH"], ...env },
    logDir,
  );
  await waitHealthy(server, () => portOpen(Number(env["PORT"])), 30_000);
  return server;
}

/** Stops processes, last started first. */
export async function stopAll(processes: readonly ServiceProcess[]): Promise<void> {
  for (const p of [...processes].reverse()) await stopServiceProcess(p, 10_000);
}
