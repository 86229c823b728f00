import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "./process.js";

/**
 * Runs `work` holding `<dir>/.lock`: one installer per cache folder at a time, across
 * processes and checkouts. A dead holder's lock is taken over.
 */
export async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, ".lock");
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch {
      const holder = Number(readFileSync(lock, "utf8"));
      if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) rmSync(lock, { force: true });
      else await sleep(2_000);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}
