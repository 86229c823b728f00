/**
 * Loaded into every service by `npm run bench -- --gc-log` (`node --import`): records each
 * time the process's main thread stopped for longer than `minMs`, one JSON line per pause
 * with its wall-clock start, to `BENCH_PAUSE_LOG`: garbage collections by kind (from V8's gc
 * performance entries) and event-loop stalls (a timer firing late). The bench lines them up
 * with the open loop's backlog peak (pauses.ts) to name what stopped answering.
 *
 * Each second, and as the process exits, it also writes how many bytes the scavenges of that
 * second promoted into the old generation: what fills the old generation between full GCs,
 * and so sets how often they come.
 *
 * Node runs this file itself (type stripping), so it imports nothing of the project's.
 */
import { appendFileSync } from "node:fs";
import { constants, PerformanceObserver, performance } from "node:perf_hooks";
import { GCProfiler } from "node:v8";

const file = process.env["BENCH_PAUSE_LOG"];
const minMs = 5;
const tickMs = 5;
const promotedEveryMs = 1_000;

const gcKinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "scavenge",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "mark-compact",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental marking",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak callbacks",
};

const wallClock = (at: number) => performance.timeOrigin + at;
const record = (line: object) => appendFileSync(file!, `${JSON.stringify(line)}\n`);

if (file) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration < minMs) continue;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
      record({
        at: wallClock(entry.startTime),
        ms: entry.duration,
        what: gcKinds[kind] ?? `gc kind ${kind}`,
        heapMb: Math.round(process.memoryUsage().heapUsed / 1e6),
      });
    }
  }).observe({ entryTypes: ["gc"] });
  const startProfiler = () => {
    const started = new GCProfiler();
    started.start();
    return started;
  };
  let profiler = startProfiler();
  const recordPromoted = () => {
    const { statistics } = profiler.stop();
    record({ at: Date.now(), ms: 0, what: "promoted", bytes: promotedBytes(statistics) });
  };
  setInterval(() => {
    recordPromoted();
    profiler = startProfiler();
  }, promotedEveryMs).unref();
  process.once("exit", recordPromoted);
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - tickMs;
    if (late >= minMs) record({ at: wallClock(last + tickMs), ms: late, what: "event-loop stall" });
    last = now;
  }, tickMs).unref();
}

type GcStatistics = ReturnType<GCProfiler["stop"]>["statistics"];

/** The old generation's growth across the scavenges: what they promoted. */
function promotedBytes(statistics: GcStatistics): number {
  const oldSpace = (heap: GcStatistics[number]["beforeGC"]) =>
    heap.heapSpaceStatistics.find((space) => space.spaceName === "old_space")?.spaceUsedSize ?? 0;
  return statistics
    .filter((gc) => gc.gcType === "Scavenge")
    .reduce((sum, gc) => sum + Math.max(0, oldSpace(gc.afterGC) - oldSpace(gc.beforeGC)), 0);
}
