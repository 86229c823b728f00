/**
 * `promtool` from Debian's `prometheus` package, for tests that check generated rule
 * files with the real Prometheus rule engine: `check rules` parses every expression,
 * `test rules` evaluates alerts and recording rules over synthetic series.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { latencyBuckets, metricNames } from "../contracts/telemetry-schema.js";
import { ensureDebianPackages } from "../local/apt.js";

/** Installs Debian's `prometheus` package (which brings promtool) unless it is there. */
export function ensurePromtool(): void {
  ensureDebianPackages(["prometheus"]);
}

export interface PromtoolRun {
  readonly status: number | null;
  /** stdout and stderr together, as a person would read them. */
  readonly output: string;
}

function inTempDir(files: Record<string, string>, run: (dir: string) => PromtoolRun): PromtoolRun {
  const dir = mkdtempSync(join(tmpdir(), "promtool-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function promtool(dir: string, args: string[]): PromtoolRun {
  const result = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `promtool check rules` on a rules file. */
export function checkRules(rules: string): PromtoolRun {
  return inTempDir({ "rules.yaml": rules }, (dir) => promtool(dir, ["check", "rules", "rules.yaml"]));
}

/** One `tests:` entry of a promtool unit test file. */
export interface RuleTest {
  readonly interval: string;
  readonly input_series: readonly InputSeries[];
  readonly alert_rule_test?: readonly {
    readonly eval_time: string;
    readonly alertname: string;
    readonly exp_alerts: readonly {
      readonly exp_labels: Record<string, string>;
      readonly exp_annotations: Record<string, string>;
    }[];
  }[];
  readonly promql_expr_test?: readonly {
    readonly expr: string;
    readonly eval_time: string;
    readonly exp_samples: readonly { readonly labels: string; readonly value: number }[];
  }[];
}

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/**
 * `promtool test rules` with the rules file and the given tests, evaluated every minute
 * (or every `evaluationInterval`, for tests that span days).
 */
export function testRules(rules: string, tests: readonly RuleTest[], evaluationInterval = "1m"): PromtoolRun {
  const testFile = stringify({ rule_files: ["rules.yaml"], evaluation_interval: evaluationInterval, tests });
  return inTempDir({ "rules.yaml": rules, "tests.yaml": testFile }, (dir) =>
    promtool(dir, ["test", "rules", "tests.yaml"]),
  );
}

const seriesName = (metric: string, labels: Record<string, string>) =>
  `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;

/** What a service served in one minute: how many requests, how long each took, how many failed. */
export interface MinuteOfTraffic {
  readonly requests: number;
  readonly seconds: number;
  readonly errors?: number;
}

/**
 * The request-duration histogram (the telemetry contract's buckets) of a service that
 * served `minutes[i]` during minute i+1, sampled once a minute from 0: per outcome, the
 * cumulative `_bucket` series and `_count`.
 */
export function requestHistogram(
  labels: Record<string, string>,
  minutes: readonly MinuteOfTraffic[],
): InputSeries[] {
  const metric = metricNames.requestDuration.prometheus;
  const cumulative = (perMinute: (m: MinuteOfTraffic) => number) => {
    const totals = [0];
    for (const m of minutes) totals.push(totals.at(-1)! + perMinute(m));
    return totals.join(" ");
  };
  return (["ok", "error"] as const).flatMap((outcome) => {
    const count = (m: MinuteOfTraffic) =>
      outcome === "error" ? (m.errors ?? 0) : m.requests - (m.errors ?? 0);
    const series = { ...labels, outcome };
    return [
      ...[...latencyBuckets.map(String), "+Inf"].map((le) => ({
        series: seriesName(`${metric}_bucket`, { ...series, le }),
        values: cumulative((m) => (le === "+Inf" || m.seconds <= Number(le) ? count(m) : 0)),
      })),
      { series: seriesName(`${metric}_count`, series), values: cumulative(count) },
    ];
  });
}

/** A series holding `value` at every sample for `minutes` minutes. */
export function constantSeries(
  metric: string,
  labels: Record<string, string>,
  value: number,
  minutes: number,
) {
  return { series: seriesName(metric, labels), values: `${value}+0x${minutes}` };
}

/** `n` minutes of the same traffic. */
export const minutesOf = (n: number, traffic: MinuteOfTraffic): MinuteOfTraffic[] => Array(n).fill(traffic);
