import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { clockTicks, machineBusyTicks } from "./cpu.js";

/**
 * Waiting for a quiet machine: other engineers run tests on the same two cores, and a
 * measurement taken beside them says more about them than about the gateway.
 */

/** Share of all cores busy over `ms` (0-1), our own idle processes included. */
export async function busyShare(cores: number, ms = 1_000): Promise<number> {
  const before = machineBusyTicks(readFileSync("/proc/stat", "utf8"));
  await sleep(ms);
  const after = machineBusyTicks(readFileSync("/proc/stat", "utf8"));
  return (after - before) / clockTicks() / ((ms / 1000) * cores);
}

export interface QuietWait {
  readonly quiet: boolean;
  readonly waitedSeconds: number;
  /** The busy share of the last sample. */
  readonly busy: number;
}

/**
 * Waits until two one-second samples in a row show the cores less than `maxBusy` busy
 * (and, with `maxLoad`, the one-minute load average below it), for at most
 * `timeoutSeconds`. Two samples, because another benchmark waiting for quiet the same way
 * starts its load right after its first quiet second: the second sample sees it and yields.
 */
export async function waitForQuiet(options: {
  cores: number;
  maxBusy: number;
  maxLoad?: number;
  timeoutSeconds: number;
  onWait?: (busy: number, load: number) => void;
}): Promise<QuietWait> {
  const started = performance.now();
  let told = 0;
  let quietSamples = 0;
  for (;;) {
    const busy = await busyShare(options.cores);
    const load = loadavg()[0]!;
    const waitedSeconds = (performance.now() - started) / 1000;
    const quiet = busy < options.maxBusy && (options.maxLoad === undefined || load < options.maxLoad);
    quietSamples = quiet ? quietSamples + 1 : 0;
    if (quietSamples >= 2) return { quiet: true, waitedSeconds, busy };
    if (waitedSeconds >= options.timeoutSeconds) return { quiet: false, waitedSeconds, busy };
    if (waitedSeconds - told >= 15) {
      told = waitedSeconds;
      options.onWait?.(busy, load);
    }
  }
}
