import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { repoRoot } from "../../local/paths.js";
import type { Latency } from "./stats.js";

/** What one scenario measured in one run. */
export interface Measurement {
  readonly requestsPerSecond: number;
  readonly requests: number;
  /** Error statuses, socket errors and failed calls. */
  readonly errors: number;
  readonly latency: Latency;
  /** CPU-seconds of the load generator in the measured window, when it reports them itself. */
  readonly generatorCpuSeconds?: number;
  /** Anything else worth keeping in the JSON (the open loop's target rate, ...). */
  readonly extra?: Readonly<Record<string, number>>;
}

/**
 * Node load generators run as child processes (`node --import tsx <script> <config JSON>`)
 * and talk on stdout: `measuring` when the warm-up is over, then `result <JSON>`.
 */
export const generatorProtocol = {
  measuring: () => process.stdout.write("measuring\n"),
  result: (measurement: Measurement) => process.stdout.write(`result ${JSON.stringify(measurement)}\n`),
};

/**
 * Runs a generator script; `onMeasuring` is called when its measured window starts. Resolves
 * at its result line, before it closes its connections and exits: the bench reads CPU at
 * once, while the database backends serving the generator still exist to be counted.
 */
export function runGenerator(script: string, config: unknown, onMeasuring: () => void): Promise<Measurement> {
  const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(config)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line === "measuring") onMeasuring();
      else if (line.startsWith("result ")) resolve(JSON.parse(line.slice("result ".length)) as Measurement);
    });
    child.once("error", reject);
    // After a result this settles nothing; before one, the generator failed.
    child.once("close", (code) =>
      reject(new Error(`${script} exited with ${code} and no result:\n${stderr.trim()}`)),
    );
  });
}
