import { describe, expect, it } from "vitest";
import type { ScenarioRun } from "./measure.js";
import { cpuTable, scenarioTable, summarize, table, verdicts, verdictTable } from "./report.js";
import type { ScenarioName } from "./scenarios.js";

const run = (
  scenario: ScenarioName,
  n: number,
  rate: number,
  p95 = 1,
  extra?: Record<string, number>,
  foreign = 0,
): ScenarioRun => ({
  scenario,
  run: n,
  measurement: {
    requestsPerSecond: rate,
    requests: rate * 10,
    errors: 0,
    latency: { p50: p95 / 2, p95, p99: p95 * 2, max: 9 },
    ...(extra ? { extra } : {}),
  },
  cpu: { seconds: 10, processes: { gateway: rate * 10 * 100e-6, generator: 1 }, foreign, machineShare: 1 },
  attempts: 1,
  noisy: foreign > 1,
});

const runs = [
  run("bare", 1, 60_000),
  run("bare", 2, 50_000),
  run("bare", 3, 58_000),
  run("raw-hop", 1, 14_000),
  run("raw-hop", 2, 15_000),
  run("raw-hop", 3, 14_500),
  run("gateway", 1, 4_000),
  run("gateway", 2, 4_400),
  run("gateway", 3, 4_350, 2, undefined, 3),
  run("gateway-half", 1, 2_000, 1.5),
  run("gateway-half", 2, 2_200, 6),
  run("gateway-half", 3, 2_175, 2.5),
];

describe("summarize", () => {
  const summaries = summarize(runs, 2);
  const gateway = summaries.find((s) => s.scenario === "gateway")!;

  it("reports the median of the runs with their range, in measuring order", () => {
    expect(summaries.map((s) => s.scenario)).toEqual(["bare", "raw-hop", "gateway", "gateway-half"]);
    expect([gateway.requestsPerSecond, gateway.min, gateway.max]).toEqual([4_350, 4_000, 4_400]);
  });

  it("takes the median of each percentile on its own", () => {
    expect(summaries.find((s) => s.scenario === "gateway-half")!.latency.p95).toBe(2.5);
  });

  it("gives CPU per request by process and counts the noisy runs", () => {
    expect(gateway.cpuPerRequestUs["gateway"]).toBeCloseTo(100);
    expect(gateway.noisyRuns).toBe(1);
  });
});

describe("verdicts", () => {
  const list = verdicts(summarize(runs, 2));

  it("checks the gateway against 50% of the raw-hop ceiling", () => {
    const ceiling = list.find((v) => v.name === "gateway / raw-hop ceiling")!;
    expect(ceiling.value).toBeCloseTo(30);
    expect(ceiling.met).toBe(false);
  });

  it("checks p95 at half of peak against 5 ms", () => {
    expect(list.find((v) => v.unit === "ms")).toMatchObject({ value: 2.5, met: true });
  });

  it("checks the reads against the production p95 budget and puts each path beside its ceiling", () => {
    const paths = verdicts(
      summarize(
        [
          ...runs,
          run("gateway-uncached", 1, 1_500, 16),
          run("pg-read", 1, 4_500),
          run("place-order", 1, 100),
          run("pg-write", 1, 1_000),
        ],
        2,
      ),
    );
    const named = (start: string) => paths.find((v) => v.name.startsWith(start));
    expect(named("cached read p95")).toMatchObject({ value: 2.5, target: { atMost: 15 }, met: true });
    expect(named("uncached read p95")).toMatchObject({ value: 16, met: false });
    expect(named("uncached read / raw hop")!.value).toBeCloseTo(33.3, 1);
    expect(named("place order / its 3 commits")).toMatchObject({ target: { atLeast: 40 }, met: false });
    expect(named("place order / its 3 commits")!.value).toBeCloseTo(10);
    expect(named("uncached read / raw hop")).toMatchObject({ target: { atLeast: 60 }, met: false });
  });

  it("checks the event path: place order p95 at half of its peak, commit -> audit p95, the drain against Kafka", () => {
    const paths = verdicts(
      summarize(
        [
          run("event-pipeline", 1, 100, 30, { orderP95: 60 }),
          run("outbox-drain", 1, 6_000),
          run("kafka-drain", 1, 40_000),
        ],
        2,
      ),
    );
    const named = (start: string) => paths.find((v) => v.name.startsWith(start));
    expect(named("place order p95 at 50%")).toMatchObject({ value: 60, target: { atMost: 50 }, met: false });
    expect(named("commit -> audit stored p95")).toMatchObject({
      value: 30,
      target: { atMost: 50 },
      met: true,
    });
    expect(named("outbox -> audit events/s")).toMatchObject({
      value: 15,
      target: { atLeast: 12 },
      met: true,
    });
  });

  it("leaves out a ratio whose scenario was not measured", () => {
    expect(list.map((v) => v.name)).not.toContain("gRPC direct / raw-hop");
  });
});

describe("tables", () => {
  it("aligns the first column left and the others right", () => {
    expect(
      table([
        ["a", "1"],
        ["long", "100"],
      ]),
    ).toBe("a       1\nlong  100");
  });

  it("show rates with separators, milliseconds with two decimals, and missed targets loudly", () => {
    const summaries = summarize(runs, 2);
    expect(scenarioTable(summaries)).toMatch(
      /gateway GET \/v1\/products\/\{id\}, JWT, cached\s+4,350\s+4,000-4,400\s+0\.50\s+1\.00\s+2\.00/,
    );
    expect(verdictTable(verdicts(summaries))).toMatch(/gateway \/ raw-hop ceiling\s+30%\s+>= 50%\s+MISSED/);
    expect(cpuTable(summaries).split("\n")[0]).toMatch(/^CPU µs per request\s+gateway\s+generator\s+total$/);
  });
});
