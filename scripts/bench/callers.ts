import { generatorProtocol, type Measurement } from "./measurement.js";
import { LatencyRecorder } from "./stats.js";

export interface CallersTiming {
  /** Concurrent callers, each calling again as soon as its last call returned. */
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

/**
 * A closed loop inside a generator process: `connections` callers share this process and
 * call `call` back to back; calls started after the warm-up are measured. Says `measuring`
 * when the warm-up ends and resolves to the measurement with this process's own CPU.
 */
export async function runCallers(timing: CallersTiming, call: () => Promise<unknown>): Promise<Measurement> {
  const latency = new LatencyRecorder();
  let errors = 0;
  const measureFrom = performance.now() + timing.warmupSeconds * 1000;
  const end = measureFrom + timing.seconds * 1000;
  let cpuAtMeasure = process.cpuUsage();
  setTimeout(() => {
    cpuAtMeasure = process.cpuUsage();
    generatorProtocol.measuring();
  }, measureFrom - performance.now());

  async function caller(): Promise<void> {
    for (let started = performance.now(); started < end; started = performance.now()) {
      try {
        await call();
        if (started >= measureFrom) latency.record(performance.now() - started);
      } catch {
        if (started >= measureFrom) errors++;
      }
    }
  }

  await Promise.all(Array.from({ length: timing.connections }, caller));
  const cpu = process.cpuUsage(cpuAtMeasure);
  return {
    requestsPerSecond: (latency.count + errors) / timing.seconds,
    requests: latency.count,
    errors,
    latency: latency.summary(),
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
