/**
 * The short version of `npm run chaos`: three experiments with a few seconds of load and
 * fault each (and zone b's, when the platform runs zones), on the suite's own servers, and
 * the targets of the full run asserted. About three minutes on two cores.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyChaosEnvironment } from "./chaos/environment.js";
import type { ExperimentName } from "./chaos/options.js";
import { checkLines, type ExperimentResult, verdictTable } from "./chaos/verdict.js";

const short: readonly ExperimentName[] = ["redis-kill", "postgres-restart", "kafka-kill", "zone-kill"];
const results = new Map<string, ExperimentResult>();
let restore: (() => void) | undefined;

beforeAll(async () => {
  restore = applyChaosEnvironment();
  // Loaded after the environment is set: the server modules read their data folder on load.
  const { runSuite } = await import("./chaos/suite.js");
  const { zoneControl, zonePlatformOptions } = await import("./chaos/zones.js");
  const run = await runSuite(
    {
      experiments: short,
      loadSeconds: 4,
      faultSeconds: 5,
      slowMs: 3_000,
      gatewayPort: 18_580,
      out: undefined,
    },
    {
      zones: zoneControl,
      platformOptions: zonePlatformOptions(short),
      rates: { read: 20, search: 1, signup: 1, order: 3 },
    },
  );
  for (const result of run.results) results.set(result.name, result);
  console.log(`${verdictTable(run.results)}\n${checkLines(run.results).join("\n")}`);
}, 900_000);

afterAll(() => restore?.());

const ran = (name: string) => {
  const result = results.get(name);
  expect(result, `${name} has a result`).toBeDefined();
  expect(result!.error).toBeUndefined();
  return result!;
};

describe.each(["redis-kill", "postgres-restart", "kafka-kill"])("%s, under steady load", (name) => {
  it("fails no read", () => {
    const { read, search } = ran(name).requests;
    expect(read.sent).toBeGreaterThan(0);
    expect({ read: read.failed, search: search.failed }).toEqual({ read: 0, search: 0 });
  });

  it("fails no sign-up or order retried with its key", () => {
    const { signup, order } = ran(name).requests;
    expect(order.sent).toBeGreaterThan(0);
    expect({ signup: signup.failed, order: order.failed }).toEqual({ signup: 0, order: 0 });
  });

  it("leaves no request hanging past its deadline, and recovers", () => {
    expect(ran(name).hung).toBe(0);
    expect(ran(name).recoverySeconds).toBeDefined();
  });

  it("loses no event and duplicates none in audit, whose chain verifies", () => {
    const result = ran(name);
    expect(result.events?.committed).toBeGreaterThan(0);
    expect({ lost: result.events?.lost, duplicated: result.events?.duplicated }).toEqual({
      lost: 0,
      duplicated: 0,
    });
    expect(result.chainValid).toBe(true);
  });
});

describe("zone b killed, when the platform runs zones", () => {
  it("fails no request and loses no event", (context) => {
    const result = results.get("zone-kill");
    if (result?.skipped) context.skip();
    expect(result?.error).toBeUndefined();
    const { read, search, signup, order } = result!.requests;
    expect([read.failed, search.failed, signup.failed, order.failed]).toEqual([0, 0, 0, 0]);
    expect({ lost: result!.events?.lost, duplicated: result!.events?.duplicated }).toEqual({
      lost: 0,
      duplicated: 0,
    });
    expect(result!.chainValid).toBe(true);
  });
});
