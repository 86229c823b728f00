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

/** A log line that is not a pause: the bytes the scavenges promoted in the second up to `at`. */
const promoted = "promoted";
type LogLine = Pause & { readonly bytes?: number };

export interface ProcessPauses {
  /** Full GCs in the window, and their pauses added up. */
  readonly markCompacts: number;
  readonly markCompactMs: number;
  /** The longest pause of any kind. */
  readonly longest: Pause | undefined;
  /** Bytes the scavenges promoted into the old generation in the window. */
  readonly promotedBytes: number;
}

export interface PauseReport {
  readonly byProcess: Readonly<Record<string, ProcessPauses>>;
  /** Pauses that overlapped the moment the backlog peaked (or the 200 ms before), longest first. */
  readonly atBacklogPeak: readonly (Pause & { readonly process: string })[];
}

export const pauseLogSuffix = ".pauses.jsonl";

/** Every service's pause log in `dir`, by process name. */
export function readPauseLogs(dir: string): Record<string, LogLine[]> {
  const logs: Record<string, LogLine[]> = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith(pauseLogSuffix)))
    logs[name.slice(0, -pauseLogSuffix.length)] = readFileSync(join(dir, name), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);
  return logs;
}

/** A backlog grows during the pause that causes it and peaks as the pause ends, or soon after. */
const leadMs = 200;

/**
 * The pauses between `from` and `to` (epoch ms) per process; with `backlogPeak`, the ones
 * under way at it or in the `leadMs` before it.
 */
export function summarizePauses(
  logs: Readonly<Record<string, readonly LogLine[]>>,
  from: number,
  to: number,
  backlogPeak?: number,
): PauseReport {
  const byProcess: Record<string, ProcessPauses> = {};
  const atBacklogPeak: (Pause & { process: string })[] = [];
  for (const [name, lines] of Object.entries(logs)) {
    const pauses = lines.filter((p) => p.what !== promoted);
    const inWindow = pauses.filter((p) => p.at + p.ms >= from && p.at <= to);
    const fullGcs = inWindow.filter((p) => p.what === "mark-compact");
    byProcess[name] = {
      markCompacts: fullGcs.length,
      markCompactMs: fullGcs.reduce((sum, p) => sum + p.ms, 0),
      longest: inWindow.reduce<Pause | undefined>((a, p) => (a && a.ms >= p.ms ? a : p), undefined),
      // Each count covers the second before it: those ending inside the window.
      promotedBytes: lines
        .filter((p) => p.what === promoted && p.at > from && p.at <= to)
        .reduce((sum, p) => sum + (p.bytes ?? 0), 0),
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

/**
 * One line for the bench's log: full GCs and the longest pause per process, the peak's
 * cause, then what each process promoted per request of the window's `requests`.
 */
export function formatPauses(report: PauseReport, requests = 0): string {
  const processes = Object.entries(report.byProcess)
    .filter(([, p]) => p.longest !== undefined)
    .sort(([, a], [, b]) => b.longest!.ms - a.longest!.ms)
    .map(
      ([name, p]) =>
        `${name} ${p.markCompacts} full GC(s) ${ms(p.markCompactMs)}, longest ${p.longest!.what} ${ms(p.longest!.ms)}`,
    );
  const peak = report.atBacklogPeak.map((p) => `${p.process} ${p.what} ${ms(p.ms)}`);
  const promotedPerRequest = Object.entries(report.byProcess)
    .filter(([, p]) => requests > 0 && p.promotedBytes > 0)
    .sort(([, a], [, b]) => b.promotedBytes - a.promotedBytes)
    .map(([name, p]) => `${name} ${(p.promotedBytes / requests / 1024).toFixed(1)} KB`);
  return `pauses over 5 ms: ${processes.join("; ") || "none"}${
    peak.length > 0 ? `; at the backlog's peak: ${peak.join(", ")}` : ""
  }${promotedPerRequest.length > 0 ? `; promoted per request: ${promotedPerRequest.join(", ")}` : ""}`;
}
