import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cpuBetween, machineBusyTicks, processTicks, readCpu } from "./cpu.js";

describe("machineBusyTicks", () => {
  it("adds user, nice, system, irq, softirq and steal, leaving out idle and iowait", () => {
    const stat = "cpu  100 2 30 5000 40 6 7 8 0 0\ncpu0 50 1 15 2500 20 3 3 4 0 0\n";
    expect(machineBusyTicks(stat)).toBe(100 + 2 + 30 + 6 + 7 + 8);
  });
});

describe("processTicks", () => {
  it("reads utime+stime and the children's ticks after a name holding spaces and parentheses", () => {
    const stat = "4242 (node (bench) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 700 300 50 25 20 0 11 0 5 0 0";
    expect(processTicks(stat)).toEqual({ own: 1000, children: 75 });
  });
});

describe("cpuBetween", () => {
  const reading = (at: number, machine: number, self: number, children: number, gateway: number) => ({
    at,
    machine,
    self: { own: self, children },
    processes: { gateway },
  });

  it("attributes what no process of ours used to others ('foreign')", () => {
    const use = cpuBetween(reading(0, 0, 0, 0, 0), reading(10_000, 1_500, 10, 300, 900), 2);
    // 15 CPU-s busy in 10 s on 2 cores: gateway 9, bench 0.1, wrk 3; the rest is others'.
    expect(use.processes).toEqual({ gateway: 9, bench: 0.1, generator: 3 });
    expect(use.foreign).toBeCloseTo(2.9);
    expect(use.machineShare).toBeCloseTo(0.75);
  });

  it("takes the generator's own report over the children's ticks when there is one", () => {
    const use = cpuBetween(reading(0, 0, 0, 0, 0), reading(10_000, 1_000, 0, 900, 500), 2, 4);
    expect(use.processes["generator"]).toBe(4);
  });
});

describe("readCpu", () => {
  it("counts a child that started and ended between two readings in its parent's group", () => {
    const group = { self: [process.pid] };
    const before = readCpu(group);
    // A child busy until it has used 400 ms of CPU (not of wall time: on a loaded machine it
    // gets less than a core), reaped before the second reading.
    execFileSync(process.execPath, [
      "-e",
      "while (process.cpuUsage().user + process.cpuUsage().system < 400_000);",
    ]);
    const use = cpuBetween(before, readCpu(group), 2);
    expect(use.processes["self"]).toBeGreaterThanOrEqual(0.3);
  });
});
