import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "./process.js";

/**
 * Takes `<dir>/.lock` for this process, waiting while another live process holds it; a dead
 * holder's lock is taken over. Resolves to the function that releases it.
 */
export async function acquireLock(dir: string): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, ".lock");
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch {
      let recorded: string;
      try {
        recorded = readFileSync(lock, "utf8");
      } catch {
        continue; // released meanwhile
      }
      const holder = Number(recorded);
      // An empty file is a holder between creating it and writing its pid.
      if (recorded !== "" && (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)))
        rmSync(lock, { force: true });
      else await sleep(recorded === "" ? 50 : 2_000);
    }
  }
  return () => rmSync(lock, { force: true });
}

/**
 * Runs `work` holding `<dir>/.lock`: one installer per cache folder at a time, across
 * processes and checkouts. A dead holder's lock is taken over.
 */
export async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const release = await acquireLock(dir);
  try {
    return await work();
  } finally {
    release();
  }
}
