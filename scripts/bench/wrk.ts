import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Latency } from "./stats.js";

/**
 * wrk (Debian's package) for the closed-loop HTTP scenarios: a fixed number of
 * connections, each sending its next request as soon as the last one is answered.
 */

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses"). */
  readonly badStatus: number;
  /** Connect, read, write errors and timeouts. */
  readonly socketErrors: number;
  readonly latency: Latency;
}

/** A Lua string literal; header values are printable ASCII, so nothing else needs care. */
function luaString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`not printable ASCII, cannot go in a header: ${value}`);
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The wrk script: the request's headers, an optional `request` hook (scripts/bench/requests.ts)
 * for requests that change, and a `done` hook printing what `--latency` leaves out (p95,
 * exact counts) on two lines `parseWrk` reads.
 */
export function wrkScript(headers: Readonly<Record<string, string>>, requestHook = ""): string {
  const lines = Object.entries(headers).map(
    ([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`,
  );
  return `${lines.join("\n")}
${requestHook}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("bench-summary requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("bench-latency-us p50=%.0f p95=%.0f p99=%.0f max=%.0f\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
`;
}

function fields(output: string, tag: string): Record<string, number> {
  const line = output.split("\n").find((l) => l.startsWith(`${tag} `));
  if (!line) throw new Error(`wrk printed no "${tag}" line; is the Lua script loaded? Output:\n${output}`);
  return Object.fromEntries(
    line
      .slice(tag.length + 1)
      .trim()
      .split(/\s+/)
      .map((pair) => {
        const [name, value] = pair.split("=");
        return [name!, Number(value)];
      }),
  );
}

/** Reads wrk's output with the lines of `wrkScript`'s `done` hook. */
export function parseWrk(output: string): WrkResult {
  const summary = fields(output, "bench-summary");
  const us = fields(output, "bench-latency-us");
  const seconds = summary["duration_us"]! / 1e6;
  const requests = summary["requests"]!;
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    badStatus: summary["status"]!,
    socketErrors: summary["connect"]! + summary["read"]! + summary["write"]! + summary["timeout"]!,
    latency: {
      p50: us["p50"]! / 1000,
      p95: us["p95"]! / 1000,
      p99: us["p99"]! / 1000,
      max: us["max"]! / 1000,
    },
  };
}

export interface WrkRun {
  readonly url: string;
  readonly scriptFile: string;
  readonly connections: number;
  readonly seconds: number;
}

/** Runs wrk with one thread (it needs little CPU, and the machine has two cores to share). */
export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const { stdout } = await promisify(execFile)("wrk", [
    "-t1",
    `-c${run.connections}`,
    `-d${run.seconds}s`,
    "--latency",
    "--timeout",
    "5s",
    "-s",
    run.scriptFile,
    run.url,
  ]);
  return parseWrk(stdout);
}
