import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * CPU accounting from /proc: how busy the whole machine was, and how much of that our
 * processes were. The rest ("foreign") is other people's work on the shared cores, which
 * makes a measurement noisy.
 */

/** Busy clock ticks of all cores from /proc/stat's `cpu` line: user, nice, system, irq, softirq, steal. */
export function machineBusyTicks(procStat: string): number {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat has no cpu line");
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return user! + nice! + system! + irq! + softirq! + (steal ?? 0);
}

export interface ProcessTicks {
  /** The process's own user + system ticks. */
  readonly own: number;
  /** Ticks of its children that have exited and been waited for. */
  readonly children: number;
}

/** Ticks of one process from its /proc/<pid>/stat line (its name may hold spaces and parentheses). */
export function processTicks(pidStat: string): ProcessTicks {
  const fields = pidStat.slice(pidStat.lastIndexOf(")") + 2).split(" ");
  // Fields 14-17 of proc(5) are utime, stime, cutime, cstime; the slice starts at field 3.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return { own: utime! + stime!, children: cutime! + cstime! };
}

let ticksPerSecond: number | undefined;
/** USER_HZ, the unit of /proc's tick counts. */
export const clockTicks = () => {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ticksPerSecond;
};

const readTicks = (pid: number | "self"): ProcessTicks => {
  try {
    return processTicks(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return { own: 0, children: 0 }; // exited
  }
};

/** A reading of the machine and of named processes, to subtract from a later one. */
export interface CpuReading {
  readonly at: number;
  readonly machine: number;
  readonly self: ProcessTicks;
  readonly processes: Readonly<Record<string, number>>;
}

/**
 * Our processes by name: one pid, or a parent and its children now (PostgreSQL's postmaster
 * and its backends), see `withChildren`.
 */
export type NamedPids = Readonly<Record<string, number | readonly number[]>>;

/**
 * Ticks of a process, or of a parent with its live children plus every child it has
 * reaped: then a backend that starts or ends between two readings is counted for exactly
 * the time it ran between them.
 */
function groupTicks(pids: number | readonly number[]): number {
  if (typeof pids === "number") return readTicks(pids).own;
  const [parent, ...children] = pids;
  const { own, children: reaped } = readTicks(parent!);
  return children.reduce((sum, pid) => sum + readTicks(pid).own, own + reaped);
}

export function readCpu(pids: NamedPids): CpuReading {
  return {
    at: performance.now(),
    machine: machineBusyTicks(readFileSync("/proc/stat", "utf8")),
    self: readTicks("self"),
    processes: Object.fromEntries(Object.entries(pids).map(([name, group]) => [name, groupTicks(group)])),
  };
}

/** A process and its children now (PostgreSQL's postmaster and its backends). */
export function withChildren(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return [pid, ...(children ? children.split(" ").map(Number) : [])];
  } catch {
    return [pid];
  }
}

export interface CpuUse {
  readonly seconds: number;
  /** CPU-seconds of each named process, "bench" (this process) and "generator" (the load generator). */
  readonly processes: Readonly<Record<string, number>>;
  /** CPU-seconds of everything else on the machine. */
  readonly foreign: number;
  /** Busy share of all cores, 0-1. */
  readonly machineShare: number;
}

/**
 * CPU between two readings. The load generator is a child: `generatorSeconds` when it
 * reports its own use, else the ticks of children that exited in between (wrk).
 */
export function cpuBetween(
  before: CpuReading,
  after: CpuReading,
  cores: number,
  generatorSeconds?: number,
): CpuUse {
  const hz = clockTicks();
  const processes: Record<string, number> = {};
  for (const [name, ticks] of Object.entries(after.processes))
    processes[name] = (ticks - (before.processes[name] ?? 0)) / hz;
  processes["bench"] = (after.self.own - before.self.own) / hz;
  processes["generator"] = generatorSeconds ?? (after.self.children - before.self.children) / hz;
  const machine = (after.machine - before.machine) / hz;
  const seconds = (after.at - before.at) / 1000;
  const ours = Object.values(processes).reduce((a, b) => a + b, 0);
  return {
    seconds,
    processes,
    foreign: Math.max(0, machine - ours),
    machineShare: machine / (seconds * cores),
  };
}
