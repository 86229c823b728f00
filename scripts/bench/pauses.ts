import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * What `--gc-log` found in a measured window: each service's pauses (pause-watch.ts writes
 * them) and the ones under way when the open loop's backlog peaked, which are what made the
 * tail: while a process is stopped, every request through it waits.
 */

/** One stop of a process's main thread: a GC of some kind, or an event-loop stall. */
export interface Pause {
  /** Wall-clock start, epoch ms. */
  readonly at: number;
  readonly ms: number;
  readonly what: string;
}

export interface ProcessPauses {
  /** Full GCs in the window, and their pauses added up. */
  readonly markCompacts: number;
  readonly markCompactMs: number;
  /** The longest pause of any kind. */
  readonly longest: Pause | undefined;
}

export interface PauseReport {
  readonly byProcess: Readonly<Record<string, ProcessPauses>>;
  /** Pauses that overlapped the moment the backlog peaked (or the 200 ms before), longest first. */
  readonly atBacklogPeak: readonly (Pause & { readonly process: string })[];
}

export const pauseLogSuffix = ".pauses.jsonl";

/** Every service's pause log in `dir`, by process name. */
export function readPauseLogs(dir: string): Record<string, Pause[]> {
  const logs: Record<string, Pause[]> = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith(pauseLogSuffix)))
    logs[name.slice(0, -pauseLogSuffix.length)] = readFileSync(join(dir, name), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Pause);
  return logs;
}

/** A backlog grows during the pause that causes it and peaks as the pause ends, or soon after. */
const leadMs = 200;

/**
 * The pauses between `from` and `to` (epoch ms) per process; with `backlogPeak`, the ones
 * under way at it or in the `leadMs` before it.
 */
export function summarizePauses(
  logs: Readonly<Record<string, readonly Pause[]>>,
  from: number,
  to: number,
  backlogPeak?: number,
): PauseReport {
  const byProcess: Record<string, ProcessPauses> = {};
  const atBacklogPeak: (Pause & { process: string })[] = [];
  for (const [name, pauses] of Object.entries(logs)) {
    const inWindow = pauses.filter((p) => p.at + p.ms >= from && p.at <= to);
    const fullGcs = inWindow.filter((p) => p.what === "mark-compact");
    byProcess[name] = {
      markCompacts: fullGcs.length,
      markCompactMs: fullGcs.reduce((sum, p) => sum + p.ms, 0),
      longest: inWindow.reduce<Pause | undefined>((a, p) => (a && a.ms >= p.ms ? a : p), undefined),
    };
    if (backlogPeak !== undefined)
      for (const p of inWindow)
        if (p.at <= backlogPeak && p.at + p.ms >= backlogPeak - leadMs)
          atBacklogPeak.push({ ...p, process: name });
  }
  atBacklogPeak.sort((a, b) => b.ms - a.ms);
  return { byProcess, atBacklogPeak };
}

const ms = (value: number) => `${value.toFixed(0)} ms`;

/** One line for the bench's log: full GCs and the longest pause per process, then the peak's cause. */
export function formatPauses(report: PauseReport): string {
  const processes = Object.entries(report.byProcess)
    .filter(([, p]) => p.longest !== undefined)
    .sort(([, a], [, b]) => b.longest!.ms - a.longest!.ms)
    .map(
      ([name, p]) =>
        `${name} ${p.markCompacts} full GC(s) ${ms(p.markCompactMs)}, longest ${p.longest!.what} ${ms(p.longest!.ms)}`,
    );
  const peak = report.atBacklogPeak.map((p) => `${p.process} ${p.what} ${ms(p.ms)}`);
  return `pauses over 5 ms: ${processes.join("; ") || "none"}${
    peak.length > 0 ? `; at the backlog's peak: ${peak.join(", ")}` : ""
  }`;
}
