import { describe, expect, it } from "vitest";
import { checkLines, checksOf, type ExperimentResult, verdictOf, verdictTable } from "./verdict.js";

const clean: ExperimentResult = {
  name: "redis-kill",
  title: "redis-kill",
  requests: {
    read: { sent: 1200, failed: 0 },
    search: { sent: 60, failed: 0 },
    signup: { sent: 30, failed: 0 },
    order: { sent: 120, failed: 0 },
  },
  hung: 0,
  p99FaultMs: { reads: 12.4, writes: 340.6 },
  recoverySeconds: 1.5,
  events: { committed: 400, unsent: 0, lost: 0, duplicated: 0, drainMs: 800 },
  chainValid: true,
  alerts: [{ name: "gateway-api-latency", service: "gateway", state: "pending" }],
  earlierAlerts: [],
  checks: [],
  timeline: {},
};

describe("verdicts", () => {
  it("meets its targets with no failure, no loss, no duplicate and a valid chain", () => {
    expect(verdictOf(clean)).toBe("met");
  });

  it.each([
    ["a failed read", { requests: { ...clean.requests, search: { sent: 60, failed: 1 } } }],
    ["a failed order", { requests: { ...clean.requests, order: { sent: 120, failed: 2 } } }],
    ["a request past its deadline", { hung: 1 }],
    ["no recovery", { recoverySeconds: undefined }],
    ["a lost event", { events: { ...clean.events!, lost: 3 } }],
    ["a duplicated event", { events: { ...clean.events!, duplicated: 1 } }],
    ["events not counted", { events: undefined }],
    ["a broken chain", { chainValid: false }],
    ["no answer from verify", { chainValid: undefined }],
    [
      "an experiment's own check",
      { checks: [{ name: "breakers", value: "none", target: "opens", met: false }] },
    ],
    ["a fault that could not be injected", { error: "inject failed: boom" }],
  ] as const)("misses them with %s", (_, change) => {
    expect(verdictOf({ ...clean, ...change } as ExperimentResult)).toBe("missed");
  });

  it("only reports a check without a target", () => {
    const reported = {
      ...clean,
      alerts: [],
      checks: [{ name: "burn alerts", value: "none", target: "reported", met: undefined }],
    };
    expect(verdictOf(reported)).toBe("met");
    expect(checkLines([reported])).toEqual(["- redis-kill: burn alerts: none (target reported)"]);
  });

  it("says why a skipped experiment did not run", () => {
    expect(verdictOf({ ...clean, skipped: "one zone" })).toBe("skipped");
    expect(checksOf({ ...clean, skipped: "one zone" })).toEqual([]);
  });

  it("lists missed checks with their values and targets", () => {
    expect(checkLines([{ ...clean, events: { ...clean.events!, lost: 3 } }])).toEqual([
      "- redis-kill: events lost in audit: 3 (target 0) MISSED",
      "- redis-kill: alerts raised: gateway-api-latency pending",
    ]);
  });

  it("renders one aligned row per experiment with the targets in the header", () => {
    const table = verdictTable([clean, { ...clean, name: "zone-kill", skipped: "one zone" }]);
    const lines = table.split("\n");
    expect(lines[0]).toMatch(/^\| experiment +\| failed reads \(0\) \| failed writes \(0\) \|/);
    expect(lines[2]).toContain("| 0 / 1260 ");
    expect(lines[2]).toContain("| 12 / 341 ");
    expect(lines[2]).toContain("| 0 firing, 1 pending |");
    expect(lines[2]).toMatch(/\| met +\|$/);
    expect(lines[3]).toContain("skipped: one zone");
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
