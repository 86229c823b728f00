import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "./options.js";
import { benchPorts } from "./ports.js";
import { scenarioNames, selectScenarios } from "./scenarios.js";

describe("parseBenchArgs", () => {
  it("defaults to 10 connections, 3 s warm-up, 10 s measured, 3 runs, every scenario", () => {
    expect(parseBenchArgs([])).toMatchObject({
      connections: 10,
      warmupSeconds: 3,
      seconds: 10,
      runs: 3,
      scenarios: scenarioNames,
      basePort: 18280,
    });
  });

  it("reads every option and returns undefined for --help", () => {
    const options = parseBenchArgs([
      "--duration",
      "5",
      "--connections",
      "20",
      "--out",
      "r.json",
      "--runs",
      "2",
    ]);
    expect(options).toMatchObject({ seconds: 5, connections: 20, out: "r.json", runs: 2 });
    expect(parseBenchArgs(["--help"])).toBeUndefined();
  });

  it("splits --node-flags into flags for the services, and refuses what is not a flag", () => {
    expect(parseBenchArgs([])?.nodeFlags).toEqual([]);
    expect(
      parseBenchArgs(["--node-flags= --single-threaded-gc  --max-semi-space-size=16 "])?.nodeFlags,
    ).toEqual(["--single-threaded-gc", "--max-semi-space-size=16"]);
    expect(() => parseBenchArgs(["--node-flags=--single-threaded-gc gc"])).toThrow(
      /--node-flags takes Node or V8 flags .* \(got "gc"\)/,
    );
  });

  it("names the option and the value it refuses", () => {
    expect(() => parseBenchArgs(["--duration", "ten"])).toThrow(
      '--duration must be a whole number from 1 to 3600 (got "ten")',
    );
    expect(() => parseBenchArgs(["--port", "80"])).toThrow(/--port must be 1024 or more/);
    expect(() => parseBenchArgs(["--profile", "search"])).toThrow(
      '--profile must name one of the bench\'s services: catalog, identity, orders, audit, gateway (got "search")',
    );
  });

  it("profiles the gateway unless told which service", () => {
    expect(parseBenchArgs([])?.profiledService).toBe("gateway");
    expect(parseBenchArgs(["--profile", "orders"])?.profiledService).toBe("orders");
  });
});

describe("selectScenarios", () => {
  it("keeps the measuring order and adds the peak the half-peak load needs", () => {
    expect(selectScenarios("gateway-half,bare")).toEqual(["bare", "gateway", "gateway-half"]);
  });

  it("adds what a needed scenario needs in turn: the Kafka ceiling runs at the pipeline's rate", () => {
    expect(selectScenarios("kafka")).toEqual(["place-order", "event-pipeline", "kafka"]);
  });

  it("refuses an unknown scenario, listing the known ones", () => {
    expect(() => selectScenarios("gateway,fast")).toThrow(
      /unknown scenario "fast"; the scenarios are bare, raw-hop/,
    );
  });
});

describe("benchPorts", () => {
  it("gives the gateway the base, the other services the next ports and the ceilings base+10..14, Kafka base+15..16", () => {
    expect(benchPorts(18280, ["audit", "catalog", "gateway"])).toEqual({
      gateway: 18280,
      services: { audit: 18281, catalog: 18282 },
      bare: 18290,
      front: 18291,
      backend: 18292,
      frontPg: 18293,
      backendPg: 18294,
      kafka: 18295,
      kafkaController: 18296,
    });
  });
});
