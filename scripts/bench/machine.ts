import { availableParallelism, cpus, loadavg, release } from "node:os";

/** The machine a result was measured on: without it, a number means little. */
export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly kernel: string;
  readonly node: string;
  /** 1, 5 and 15 minute load averages before the bench started anything. */
  readonly loadAverage: readonly number[];
}

export function describeMachine(): Machine {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    kernel: `Linux ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export const machineLine = (m: Machine) =>
  `${m.cores} cores (${m.cpu}), ${m.kernel}, Node ${m.node}; load average before: ${m.loadAverage.join(" ")}`;
