/**
 * An experiment's measurements, judged against the targets, and the table that shows them.
 * Pure: the suite measures, this decides and renders.
 */
import type { SeenAlert } from "./alerts.js";
import { describeAlerts } from "./alerts.js";
import type { EventAccount } from "./ledger.js";
import type { KindCount, RequestKind } from "./measure.js";

/** A check beyond the common ones (search's problem answers, breakers, alerts). */
export interface Check {
  readonly name: string;
  readonly value: string;
  readonly target: string;
  /** Undefined: reported, not judged. */
  readonly met: boolean | undefined;
}

export interface ExperimentResult {
  readonly name: string;
  readonly title: string;
  /** Why it did not run, when it could not. */
  readonly skipped?: string;
  /** Why it stopped half-way (a fault that could not be injected or healed). */
  readonly error?: string;
  readonly requests: Readonly<Record<RequestKind, KindCount>>;
  /** Attempts that got no answer within the route's deadline plus a second. */
  readonly hung: number;
  /** p99 in ms of requests sent during the fault (retries included), reads and writes. */
  readonly p99FaultMs: { readonly reads: number; readonly writes: number };
  /** From the heal to a window of requests all succeeding at normal latency; undefined: never. */
  readonly recoverySeconds: number | undefined;
  readonly events: EventAccount | undefined;
  /** `POST /v1/audit/verify` at the end: valid or not, or the error that kept it from answering. */
  readonly chainValid: boolean | undefined;
  /** Alerts the suite's Prometheus raised (pending or firing) during the experiment. */
  readonly alerts: readonly SeenAlert[];
  /** Alerts raised before the experiment and still pending or firing during it. */
  readonly earlierAlerts: readonly SeenAlert[];
  readonly checks: readonly Check[];
  readonly timeline: Readonly<Record<string, number>>;
}

const reads = (r: ExperimentResult) => sum(r.requests.read, r.requests.search);
const writes = (r: ExperimentResult) => sum(r.requests.signup, r.requests.order);
const sum = (a: KindCount, b: KindCount): KindCount => ({
  sent: a.sent + b.sent,
  failed: a.failed + b.failed,
});

/** The common checks and the experiment's own, each with its target. */
export function checksOf(r: ExperimentResult): Check[] {
  if (r.skipped) return [];
  const r0 = reads(r);
  const w0 = writes(r);
  const common: Check[] = [
    { name: "failed reads", value: `${r0.failed} of ${r0.sent}`, target: "0", met: r0.failed === 0 },
    {
      name: "failed writes (retried with their key)",
      value: `${w0.failed} of ${w0.sent}`,
      target: "0",
      met: w0.failed === 0,
    },
    { name: "requests past their deadline", value: String(r.hung), target: "0", met: r.hung === 0 },
    {
      name: "time to recover",
      value: r.recoverySeconds === undefined ? "not recovered" : `${r.recoverySeconds.toFixed(1)} s`,
      target: "recovers",
      met: r.recoverySeconds !== undefined,
    },
    {
      name: "events lost in audit",
      value: r.events ? String(r.events.lost) : "not counted",
      target: "0",
      met: r.events ? r.events.lost === 0 : false,
    },
    {
      name: "events duplicated in audit",
      value: r.events ? String(r.events.duplicated) : "not counted",
      target: "0",
      met: r.events ? r.events.duplicated === 0 : false,
    },
    {
      name: "audit chain verifies",
      value: r.chainValid === undefined ? "no answer" : String(r.chainValid),
      target: "true",
      met: r.chainValid === true,
    },
  ];
  return [
    ...common,
    ...r.checks,
    ...(r.error ? [{ name: "ran", value: r.error, target: "no error", met: false }] : []),
  ];
}

export type Verdict = "met" | "missed" | "skipped";

export function verdictOf(r: ExperimentResult): Verdict {
  if (r.skipped) return "skipped";
  return checksOf(r).every((c) => c.met !== false) ? "met" : "missed";
}

const ms = (value: number) => (Number.isNaN(value) ? "-" : String(Math.round(value)));

/** The verdict table: one row per experiment, targets in the header. */
export function verdictTable(results: readonly ExperimentResult[]): string {
  const header = [
    "experiment",
    "failed reads (0)",
    "failed writes (0)",
    "past deadline (0)",
    "p99 in fault, reads / writes ms",
    "recovery s",
    "lost (0)",
    "duplicated (0)",
    "chain valid",
    "alerts raised",
    "verdict",
  ];
  const rows = results.map((r) => {
    if (r.skipped) return [r.name, "", "", "", "", "", "", "", "", "", `skipped: ${r.skipped}`];
    const r0 = reads(r);
    const w0 = writes(r);
    return [
      r.name,
      `${r0.failed} / ${r0.sent}`,
      `${w0.failed} / ${w0.sent}`,
      String(r.hung),
      `${ms(r.p99FaultMs.reads)} / ${ms(r.p99FaultMs.writes)}`,
      r.recoverySeconds === undefined ? "never" : r.recoverySeconds.toFixed(1),
      r.events ? String(r.events.lost) : "?",
      r.events ? String(r.events.duplicated) : "?",
      r.chainValid === undefined ? "?" : r.chainValid ? "yes" : "NO",
      alertCounts(r.alerts),
      verdictOf(r),
    ];
  });
  return markdownTable(header, rows);
}

/** `2 firing, 1 pending`: the names are listed under the table. */
export function alertCounts(alerts: readonly SeenAlert[]): string {
  const firing = alerts.filter((a) => a.state === "firing").length;
  return alerts.length === 0 ? "none" : `${firing} firing, ${alerts.length - firing} pending`;
}

/** Each experiment's own checks, every missed one and the alerts it saw, as lines under the table. */
export function checkLines(results: readonly ExperimentResult[]): string[] {
  return results.flatMap((r) => [
    ...checksOf(r)
      .filter((c) => c.met === false || !commonNames.has(c.name))
      .map(
        (c) =>
          `- ${r.name}: ${c.name}: ${c.value} (target ${c.target})${c.met === undefined ? "" : c.met ? "" : " MISSED"}`,
      ),
    ...(r.alerts.length > 0 ? [`- ${r.name}: alerts raised: ${describeAlerts(r.alerts)}`] : []),
    ...(r.earlierAlerts.length > 0
      ? [`- ${r.name}: still active from before: ${describeAlerts(r.earlierAlerts)}`]
      : []),
  ]);
}

const commonNames = new Set([
  "failed reads",
  "failed writes (retried with their key)",
  "requests past their deadline",
  "time to recover",
  "events lost in audit",
  "events duplicated in audit",
  "audit chain verifies",
]);

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (c ?? "").padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}
