import { describe, expect, it } from "vitest";
import { experimentNames, parseChaosArgs, selectExperiments } from "./options.js";

describe("npm run chaos options", () => {
  it("runs every experiment with 20 s of load and 10 s faults by default", () => {
    expect(parseChaosArgs([])).toEqual({
      experiments: [...experimentNames],
      loadSeconds: 20,
      faultSeconds: 10,
      slowMs: 6000,
      gatewayPort: 18580,
      out: undefined,
    });
  });

  it("answers --help with no options at all", () => {
    expect(parseChaosArgs(["--help"])).toBeUndefined();
  });

  it("keeps the suite's order whatever the order of --only", () => {
    expect(selectExperiments("kafka-kill, redis-kill")).toEqual(["redis-kill", "kafka-kill"]);
  });

  it("names every unknown experiment and the known ones", () => {
    expect(() => selectExperiments("redis-kill,mongo-kill,dns")).toThrow(
      /unknown experiment "mongo-kill", "dns"; expected some of redis-kill, postgres-restart/,
    );
  });

  it("refuses an empty --only", () => {
    expect(() => selectExperiments(" , ")).toThrow("--only needs at least one experiment name");
  });

  it.each([
    [["--load-seconds", "0"], /--load-seconds must be a whole number from 2 to 600 \(got "0"\)/],
    [["--fault-seconds", "1.5"], /--fault-seconds must be a whole number from 1 to 300 \(got "1.5"\)/],
    [["--port", "80"], /--port must be a whole number from 1024/],
    [["--slow-ms", ""], /--slow-ms must be a whole number/],
    [["--out", " "], /--out needs a file name/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseChaosArgs(argv)).toThrow(message);
  });

  it("refuses an option it does not know", () => {
    expect(() => parseChaosArgs(["--experiments", "redis-kill"])).toThrow(/Unknown option '--experiments'/);
  });
});
