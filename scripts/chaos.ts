/**
 * `npm run chaos [-- options]`: fault experiments under steady load against a platform of
 * the suite's own, a verdict table at the end. `--help` lists the options.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { applyChaosEnvironment } from "./chaos/environment.js";
import { parseChaosArgs, usage } from "./chaos/options.js";
import { checkLines, verdictOf, verdictTable } from "./chaos/verdict.js";

let options: ReturnType<typeof parseChaosArgs>;
try {
  options = parseChaosArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n\n${usage}`);
  process.exit(2);
}
if (options === undefined) {
  console.log(usage);
  process.exit(0);
}

// Before anything under local/ is loaded: its servers take their data folder at load time.
applyChaosEnvironment();
const { runSuite } = await import("./chaos/suite.js");
const { zoneControl, zonePlatformOptions } = await import("./chaos/zones.js");

try {
  const run = await runSuite(options, {
    zones: zoneControl,
    platformOptions: zonePlatformOptions(options.experiments),
  });
  const table = verdictTable(run.results);
  const lines = checkLines(run.results);
  console.log(
    `\nchaos suite: ${run.results.length} experiments in ${Math.round(run.seconds)} s (load ${options.loadSeconds} s, faults ${options.faultSeconds} s)\n\n${table}\n${lines.length > 0 ? `\n${lines.join("\n")}\n` : ""}`,
  );
  if (options.out) {
    writeFileSync(
      options.out,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: { cpus: cpus().length, node: process.version },
          options,
          seconds: run.seconds,
          results: run.results.map((r) => ({ ...r, verdict: verdictOf(r) })),
        },
        null,
        2,
      )}\n`,
    );
    console.log(`wrote ${options.out}`);
  }
  process.exit(run.results.some((r) => verdictOf(r) === "missed") ? 1 : 0);
} catch (err) {
  console.error(`npm run chaos failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
}
