import { metrics } from "@opentelemetry/api";
import { latencyBuckets, metricNames } from "../../contracts/telemetry-schema.js";

export type Outcome = "ok" | "error";

/**
 * The request metrics every service exports (contracts/telemetry-schema.ts):
 * a latency histogram per route and outcome, and the in-flight gauge KEDA scales on.
 */
export class RequestMetrics {
  readonly #duration;
  #inFlight = 0;

  constructor(
    readonly service: string,
    readonly labels: { zone: string; version: string },
  ) {
    const meter = metrics.getMeter("platform-runtime");
    this.#duration = meter.createHistogram(metricNames.requestDuration.otel, {
      unit: metricNames.requestDuration.unit,
      description: "Server-side duration of each request",
      // The contract's buckets, which the p99 alert and rollout analysis interpolate in. The
      // SDK's default bounds (0, 5, 10 ... 10000) are meant for milliseconds: in seconds,
      // every request lands in (0, 5] and histogram_quantile reads a p99 of about 4.95 s.
      advice: { explicitBucketBoundaries: [...latencyBuckets] },
    });
    meter
      .createObservableGauge(metricNames.queueDepth.otel, {
        unit: metricNames.queueDepth.unit,
        description: "Requests in flight in this process",
      })
      .addCallback((result) => result.observe(this.#inFlight, { service, ...labels }));
  }

  /** Requests currently being handled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Marks a request as started; call the returned function once when it ends. */
  begin(route: string): (outcome: Outcome) => void {
    const started = performance.now();
    this.#inFlight++;
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      this.#inFlight--;
      this.#duration.record((performance.now() - started) / 1000, {
        service: this.service,
        route,
        outcome,
        ...this.labels,
      });
    };
  }
}
