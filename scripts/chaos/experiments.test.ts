import { describe, expect, it } from "vitest";
import { breakerOpenings, experiments } from "./experiments.js";
import { backoffMs } from "./load.js";
import { experimentNames } from "./options.js";

describe("the experiments", () => {
  it("has one experiment for every name the options accept", () => {
    expect(experiments.map((e) => e.name).sort()).toEqual([...experimentNames].sort());
  });

  it("counts the gateway's circuit openings by upstream from its log", () => {
    const log = [
      '{"level":40,"upstream":"orders","from":"closed","to":"open","msg":"circuit of orders open"}',
      '{"level":30,"upstream":"orders","from":"open","to":"half-open","msg":"circuit of orders half-open"}',
      '{"level":40,"upstream":"orders","from":"half-open","to":"open","msg":"circuit of orders open"}',
      '{"level":40,"upstream":"catalog","msg":"circuit of catalog open"}',
    ].join("\n");
    expect(breakerOpenings(log)).toEqual({ orders: 2, catalog: 1 });
  });

  it("treats only searches answered 503 problem+json during the outage as OpenSearch's designed answer", () => {
    const expected = experiments.find((e) => e.name === "opensearch-stop")!.expected!;
    const timeline = {
      start: 0,
      injectAt: 1_000,
      injectedAt: 1_500,
      healAt: 5_000,
      healedAt: 9_000,
      end: 20_000,
    };
    const search = {
      kind: "search" as const,
      due: 2_000,
      end: 2_010,
      ok: false,
      attempts: 1,
      status: 503,
      problem: true,
    };
    expect(expected(search, timeline)).toBe(true);
    expect(expected({ ...search, problem: false }, timeline)).toBe(false);
    expect(expected({ ...search, status: 500 }, timeline)).toBe(false);
    expect(expected({ ...search, due: 15_000 }, timeline)).toBe(false);
    expect(expected({ ...search, kind: "read" }, timeline)).toBe(false);
  });
});

describe("write retries", () => {
  it("back off exponentially from 200 ms, with jitter, up to 2 s", () => {
    expect(backoffMs(1, () => 0)).toBe(100);
    expect(backoffMs(1, () => 1)).toBe(200);
    expect(backoffMs(3, () => 1)).toBe(800);
    expect(backoffMs(10, () => 1)).toBe(2_000);
  });
});
