import { spawn } from "node:child_process";
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createConnection } from "node:net";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { log } from "./progress.js";

/** True when a process with this pid exists (signal 0 checks without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The live pid recorded in a pid file, or undefined (a stale file is removed). */
export function livePid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim().split("\n")[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface DaemonSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly logFile: string;
  readonly pidFile: string;
}

/**
 * Starts a long-running server detached from this process, its output appended to
 * `logFile`, and records its real pid (not a shell's) in `pidFile`.
 */
export function startDaemon(spec: DaemonSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const out = openSync(spec.logFile, "a");
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ["ignore", out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${spec.command}; see ${spec.logFile}`);
  child.unref();
  writeFileSync(spec.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** Stops the process of a pid file: `signal` (SIGTERM), then SIGKILL if it has not exited in time. */
export async function stopDaemon(
  pidFile: string,
  graceMs = 15_000,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<boolean> {
  const pid = livePid(pidFile);
  if (pid === undefined) return false;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(50);
  rmSync(pidFile, { force: true });
  return true;
}

/** Keeps the previous run's log as `<file>.1`, so a chatty server's log holds one run. */
export function rotateLog(file: string): void {
  if (existsSync(file)) renameSync(file, `${file}.1`);
}

/** The last lines of a log, to put in an error message. */
export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** Polls `check` until it answers true, or fails naming what it waited for and the log. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; logFile?: string; alive?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return;
    if (options.alive && !options.alive()) {
      throw new Error(
        `${what}: the process exited${options.logFile ? `; its log ends:\n${tail(options.logFile)}` : ""}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not ready after ${options.timeoutMs / 1000} s${options.logFile ? `; its log ends:\n${tail(options.logFile)}` : ""}`,
      );
    }
    await sleep(200);
  }
}

export interface LoggedRun {
  /** Where the command's output goes (created, or appended to with `append`). */
  readonly logFile: string;
  readonly append?: boolean;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Sees each chunk of output after it is written to the log (to follow progress). */
  readonly onOutput?: (chunk: Buffer) => void;
  /** A line printed every `everyMs` while the command runs, so a long run is not silent. */
  readonly heartbeat: { readonly everyMs: number; line(seconds: number): string };
}

/** Runs a command with its output in a log file and a progress line while it runs; resolves with its exit code. */
export async function runLogged(
  command: string,
  args: readonly string[],
  run: LoggedRun,
): Promise<number | null> {
  mkdirSync(dirname(run.logFile), { recursive: true });
  const out = createWriteStream(run.logFile, { flags: run.append ? "a" : "w" });
  const child = spawn(command, args, { cwd: run.cwd, env: run.env, stdio: ["ignore", "pipe", "pipe"] });
  const collect = (chunk: Buffer) => {
    out.write(chunk);
    run.onOutput?.(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const started = Date.now();
  const heartbeat = setInterval(
    () => log(run.heartbeat.line(Math.round((Date.now() - started) / 1000))),
    run.heartbeat.everyMs,
  );
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  }).finally(() => clearInterval(heartbeat));
  await new Promise<void>((resolve) => out.end(resolve));
  return code;
}
