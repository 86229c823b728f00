import type { ScenarioRun } from "./measure.js";
import { type ScenarioName, scenarioNames, scenarioTitles } from "./scenarios.js";
import { type Latency, median } from "./stats.js";

/** One scenario over every run: the median of each number. */
export interface ScenarioSummary {
  readonly scenario: ScenarioName;
  readonly title: string;
  readonly runs: number;
  readonly requestsPerSecond: number;
  readonly min: number;
  readonly max: number;
  readonly latency: Latency;
  /** Summed over runs. */
  readonly errors: number;
  readonly noisyRuns: number;
  /** Share of the cores others used while it was measured (median). */
  readonly foreignShare: number;
  /** CPU microseconds per request of each process (median). */
  readonly cpuPerRequestUs: Readonly<Record<string, number>>;
  readonly extra: Readonly<Record<string, number>>;
}

const medianOf = <T>(items: readonly T[], value: (item: T) => number) => median(items.map(value));

function medianByKey(records: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((key) => [key, medianOf(records, (r) => r[key] ?? 0)]));
}

export function summarize(runs: readonly ScenarioRun[], cores: number): ScenarioSummary[] {
  return scenarioNames.flatMap((scenario) => {
    const of = runs.filter((r) => r.scenario === scenario);
    if (of.length === 0) return [];
    const rates = of.map((r) => r.measurement.requestsPerSecond);
    const latency = (field: keyof Latency) => medianOf(of, (r) => r.measurement.latency[field]);
    return [
      {
        scenario,
        title: scenarioTitles[scenario],
        runs: of.length,
        requestsPerSecond: median(rates),
        min: Math.min(...rates),
        max: Math.max(...rates),
        latency: { p50: latency("p50"), p95: latency("p95"), p99: latency("p99"), max: latency("max") },
        errors: of.reduce((sum, r) => sum + r.measurement.errors, 0),
        noisyRuns: of.filter((r) => r.noisy).length,
        foreignShare: medianOf(of, (r) => r.cpu.foreign / (r.cpu.seconds * cores)),
        cpuPerRequestUs: medianByKey(
          of.map((r) =>
            Object.fromEntries(
              Object.entries(r.cpu.processes).map(([name, s]) => [name, (s * 1e6) / r.measurement.requests]),
            ),
          ),
        ),
        extra: medianByKey(of.map((r) => r.measurement.extra ?? {})),
      },
    ];
  });
}

/** A ratio between two scenarios, or a number against a target. */
export interface Verdict {
  readonly name: string;
  readonly value: number;
  readonly unit: "%" | "ms";
  /** The target, with its direction; none for ratios reported without one. */
  readonly target?: { readonly atLeast?: number; readonly atMost?: number };
  readonly met?: boolean;
}

export function verdicts(summaries: readonly ScenarioSummary[]): Verdict[] {
  const rate = (s: ScenarioName) => summaries.find((x) => x.scenario === s)?.requestsPerSecond;
  const ratio = (name: string, a: ScenarioName, b: ScenarioName, atLeast?: number): Verdict[] => {
    const [top, bottom] = [rate(a), rate(b)];
    if (top === undefined || bottom === undefined) return [];
    const value = (top / bottom) * 100;
    return [
      atLeast === undefined
        ? { name, value, unit: "%" }
        : { name, value, unit: "%", target: { atLeast }, met: value >= atLeast },
    ];
  };
  const latency = (
    name: string,
    scenario: ScenarioName,
    pick: (s: ScenarioSummary) => number | undefined,
    atMost?: number,
  ): Verdict[] => {
    const of = summaries.find((s) => s.scenario === scenario);
    const value = of && pick(of);
    if (value === undefined) return [];
    return [
      atMost === undefined
        ? { name, value, unit: "ms" }
        : { name, value, unit: "ms", target: { atMost }, met: value <= atMost },
    ];
  };
  const p95 = (s: ScenarioSummary) => s.latency.p95;
  const p99 = (s: ScenarioSummary) => s.latency.p99;
  return [
    ...ratio("gateway / raw-hop ceiling", "gateway", "raw-hop", 50),
    ...ratio("gRPC direct / raw-hop", "grpc-direct", "raw-hop", 75),
    ...latency("gateway p95 at 50% of peak (open loop)", "gateway-half", p95, 5),
    ...latency("gateway p99 at 50% of peak (open loop)", "gateway-half", p99, 10),
    ...latency(`cached read p95 at 50% of peak vs prod ${prodReadP95}`, "gateway-half", p95, 15),
    ...latency(`uncached read p95 at peak vs prod ${prodReadP95}`, "gateway-uncached", p95, 15),
    ...ratio("uncached read / raw hop + PostgreSQL", "gateway-uncached", "pg-read", 60),
    ...ratio("place order / its 3 commits", "place-order", "pg-write", 40),
    ...latency("place order p95 at 50% of its peak", "event-pipeline", (s) => s.extra["orderP95"], 50),
    ...latency("commit -> audit stored p95, orders at 50%", "event-pipeline", p95, 50),
    ...latency("Kafka produce -> consume p95, same rate", "kafka", p95),
    ...ratio("outbox -> audit events/s / Kafka alone", "outbox-drain", "kafka-drain", 12),
  ];
}

/**
 * The production budget of a read's p95 (DESIGN.md): 15-25 ms from the edge, of which the
 * cluster's part is checked against the lower end, since the edge and the load balancer
 * take the rest.
 */
export const prodReadP95 = "15-25 ms";

/** Rows of cells as aligned text: the first column left, the others right. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const int = (n: number) => Math.round(n).toLocaleString("en");
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "-");
const percent = (n: number) => `${(n * 100).toFixed(0)}%`;

export function scenarioTable(summaries: readonly ScenarioSummary[]): string {
  return table([
    ["scenario", "per s", "min-max", "p50 ms", "p95 ms", "p99 ms", "errors", "others' CPU"],
    ...summaries.map((s) => [
      s.title,
      int(s.requestsPerSecond),
      s.runs > 1 ? `${int(s.min)}-${int(s.max)}` : "",
      ms(s.latency.p50),
      ms(s.latency.p95),
      ms(s.latency.p99),
      String(s.errors),
      `${percent(s.foreignShare)}${s.noisyRuns ? ` (${s.noisyRuns} noisy)` : ""}`,
    ]),
  ]);
}

/** CPU microseconds per request by process: where the two cores went in each scenario. */
export function cpuTable(summaries: readonly ScenarioSummary[]): string {
  const names = [...new Set(summaries.flatMap((s) => Object.keys(s.cpuPerRequestUs)))].filter((name) =>
    summaries.some((s) => (s.cpuPerRequestUs[name] ?? 0) >= 0.5),
  );
  return table([
    ["CPU µs per request", ...names, "total"],
    ...summaries.map((s) => {
      const values = names.map((name) => s.cpuPerRequestUs[name] ?? 0);
      return [s.scenario, ...values.map((v) => int(v)), int(values.reduce((a, b) => a + b, 0))];
    }),
  ]);
}

export function verdictTable(list: readonly Verdict[]): string {
  const value = (v: Verdict) => (v.unit === "%" ? `${v.value.toFixed(0)}%` : `${v.value.toFixed(2)} ms`);
  const target = (v: Verdict) =>
    v.target?.atLeast !== undefined
      ? `>= ${v.target.atLeast}${v.unit === "%" ? "%" : " ms"}`
      : v.target?.atMost !== undefined
        ? `<= ${v.target.atMost}${v.unit === "%" ? "%" : " ms"}`
        : "";
  return table([
    ["ratio or target", "value", "target", ""],
    ...list.map((v) => [v.name, value(v), target(v), v.met === undefined ? "" : v.met ? "met" : "MISSED"]),
  ]);
}
