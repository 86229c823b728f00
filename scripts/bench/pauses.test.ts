import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatPauses, pauseLogSuffix, readPauseLogs, summarizePauses } from "./pauses.js";

const dir = mkdtempSync(join(tmpdir(), "pauses-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pause-watch.ts, loaded into a process", () => {
  it("records a full GC and an event-loop stall with their wall-clock times", () => {
    const started = Date.now();
    // A heap worth marking, a full GC, then the main thread busy for 80 ms.
    const script = `
      const kept = Array.from({ length: 1_000_000 }, (_, i) => ({ i, s: "x" + i }));
      globalThis.gc();
      setTimeout(() => {
        const until = Date.now() + 80;
        while (Date.now() < until);
        setTimeout(() => console.log(kept.length), 20);
      }, 20);`;
    execFileSync(
      process.execPath,
      ["--expose-gc", "--import", join(import.meta.dirname, "pause-watch.ts"), "-e", script],
      { env: { ...process.env, BENCH_PAUSE_LOG: join(dir, `probe${pauseLogSuffix}`) } },
    );
    const pauses = readPauseLogs(dir)["probe"]!;
    const stall = pauses.find((p) => p.what === "event-loop stall");
    expect(stall?.ms).toBeGreaterThanOrEqual(70);
    expect(stall!.at).toBeGreaterThanOrEqual(started);
    expect(stall!.at).toBeLessThanOrEqual(Date.now());
    expect(pauses.some((p) => p.what === "mark-compact")).toBe(true);
    // The million objects outlived the scavenges that ran while they were made.
    const promoted = pauses.filter((p) => p.what === "promoted");
    expect(promoted.length).toBeGreaterThanOrEqual(1);
    expect(promoted.reduce((sum, p) => sum + p.bytes!, 0)).toBeGreaterThan(10_000_000);
  });
});

describe("summarizePauses", () => {
  const logs = {
    catalog: [
      { at: 500, ms: 40, what: "mark-compact" }, // before the window
      { at: 1_000, ms: 30, what: "mark-compact" },
      { at: 4_000, ms: 66, what: "mark-compact" },
      { at: 4_000, ms: 70, what: "event-loop stall" },
      { at: 6_000, ms: 6, what: "scavenge" },
      { at: 900, ms: 0, what: "promoted", bytes: 7_000_000 }, // the second before the window
      { at: 1_900, ms: 0, what: "promoted", bytes: 2_000_000 },
      { at: 4_100, ms: 0, what: "promoted", bytes: 1_000_000 },
    ],
    gateway: [
      { at: 4_150, ms: 12, what: "scavenge" },
      { at: 7_000, ms: 24, what: "scavenge" },
      { at: 10_500, ms: 0, what: "promoted", bytes: 9_000_000 }, // after it
    ],
    orders: [],
  };

  it("counts each process's full GCs in the window and finds its longest pause", () => {
    const { byProcess } = summarizePauses(logs, 900, 10_000);
    expect(byProcess["catalog"]).toEqual({
      markCompacts: 2,
      markCompactMs: 96,
      longest: { at: 4_000, ms: 70, what: "event-loop stall" },
      promotedBytes: 3_000_000,
    });
    expect(byProcess["gateway"]).toMatchObject({ markCompacts: 0, promotedBytes: 0 });
    expect(byProcess["orders"]).toEqual({
      markCompacts: 0,
      markCompactMs: 0,
      longest: undefined,
      promotedBytes: 0,
    });
  });

  it("names the pauses under way as the backlog peaked, longest first", () => {
    // The peak 230 ms after catalog's pause began: its 66-70 ms pause ended 160 ms before.
    const { atBacklogPeak } = summarizePauses(logs, 900, 10_000, 4_230);
    expect(atBacklogPeak.map((p) => [p.process, p.what, p.ms])).toEqual([
      ["catalog", "event-loop stall", 70],
      ["catalog", "mark-compact", 66],
      ["gateway", "scavenge", 12],
    ]);
    expect(summarizePauses(logs, 900, 10_000, 9_000).atBacklogPeak).toEqual([]);
  });

  it("formats one log line, the process with the longest pause first", () => {
    expect(formatPauses(summarizePauses(logs, 900, 10_000, 4_230))).toBe(
      "pauses over 5 ms: catalog 2 full GC(s) 96 ms, longest event-loop stall 70 ms; gateway 0 full GC(s) 0 ms, longest scavenge 24 ms; at the backlog's peak: catalog event-loop stall 70 ms, catalog mark-compact 66 ms, gateway scavenge 12 ms",
    );
    expect(formatPauses(summarizePauses({ orders: [] }, 0, 1))).toBe("pauses over 5 ms: none");
  });

  it("adds what each process promoted per request of the window", () => {
    expect(formatPauses(summarizePauses(logs, 900, 10_000), 1_000)).toMatch(
      /; promoted per request: catalog 2\.9 KB$/,
    );
  });
});
