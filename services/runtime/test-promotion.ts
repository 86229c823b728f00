/**
 * For tests of what a call leaves to the old generation. `promotedBytes(body)` runs `body`,
 * an ES module's text, in a child Node with --expose-gc, where `measure(step)` calls the
 * async `step` 200 times, forcing a scavenge after each once it settled, and resolves to the
 * bytes per call those scavenges moved into the old generation. The body prints its results
 * with `report({ name: bytes })`; `promotedBytes` returns them. `moduleUrl(path)` names a
 * module of the repository for the body's imports.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const prelude = `
const { GCProfiler } = await import("node:v8");
const settled = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
const oldSpace = (heap) => heap.heapSpaceStatistics.find((s) => s.spaceName === "old_space").spaceUsedSize;
async function measure(step, calls = 200) {
  for (let i = 0; i < 50; i++) await step();
  globalThis.gc();
  const profiler = new GCProfiler();
  profiler.start();
  for (let i = 0; i < calls; i++) {
    await step();
    await settled();
    globalThis.gc({ type: "minor" });
  }
  let bytes = 0;
  for (const gc of profiler.stop().statistics)
    if (gc.gcType === "Scavenge") bytes += oldSpace(gc.afterGC) - oldSpace(gc.beforeGC);
  return bytes / calls;
}
const report = (results) => console.log(JSON.stringify(results));
`;

export const moduleUrl = (...path: string[]) => pathToFileURL(join(import.meta.dirname, ...path)).href;

export function promotedBytes(body: string): Record<string, number> {
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", prelude + body], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, number>;
}
