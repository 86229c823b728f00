import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  type HistogramMetricData,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { afterAll, describe, expect, it } from "vitest";
import { latencyBuckets, metricNames } from "../../contracts/telemetry-schema.js";
import { RequestMetrics } from "./metrics.js";

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
const provider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(provider);
afterAll(async () => {
  await provider.shutdown();
  metrics.disable();
});

describe("RequestMetrics", () => {
  it("records request durations in the telemetry contract's buckets, in seconds", async () => {
    const requests = new RequestMetrics("catalog", { zone: "local", version: "v1" });
    requests.begin("GetProduct")("ok");
    const { resourceMetrics } = await reader.collect();
    const duration = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === metricNames.requestDuration.otel) as HistogramMetricData;
    expect(duration.descriptor.unit).toBe("s");
    const point = duration.dataPoints[0]!;
    expect(point.value.buckets.boundaries).toEqual(latencyBuckets);
    expect(point.value.count).toBe(1);
    expect(point.value.sum).toBeLessThan(0.05);
    expect(point.attributes).toEqual({
      service: "catalog",
      route: "GetProduct",
      outcome: "ok",
      zone: "local",
      version: "v1",
    });
  });
});
