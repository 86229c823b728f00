import { describe, expect, it } from "vitest";
import { latencyObjective, metricNames } from "../../contracts/telemetry-schema.js";
import {
  analysisConditions,
  analysisThresholds,
  consumerLagQuery,
  p99LatencyQuery,
  queueDepthQuery,
  successRateQuery,
} from "./analysis-queries.js";

describe("analysis queries", () => {
  it("compute the success rate of one revision from the request histogram's count", () => {
    expect(successRateQuery({ service: "catalog", version: "5d8f" })).toBe(
      'sum(rate(platform_request_duration_seconds_count{service="catalog",version="5d8f",outcome="ok"}[2m]))' +
        ' / sum(rate(platform_request_duration_seconds_count{service="catalog",version="5d8f"}[2m]))',
    );
  });

  it("compute p99 from the histogram buckets, all revisions when none is named", () => {
    expect(p99LatencyQuery({ service: "orders" }, "5m")).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(platform_request_duration_seconds_bucket{service="orders"}[5m])))',
    );
  });

  it("use the telemetry contract's metric names for scaling", () => {
    expect(queueDepthQuery("search")).toBe(`sum(${metricNames.queueDepth.prometheus}{service="search"})`);
    expect(consumerLagQuery("audit")).toBe(`sum(${metricNames.consumerLag.prometheus}{service="audit"})`);
  });

  it("keep Argo placeholders intact so the template's arguments fill them", () => {
    expect(successRateQuery({ service: "{{args.service}}", version: "{{args.canary-hash}}" })).toContain(
      'service="{{args.service}}",version="{{args.canary-hash}}"',
    );
  });

  it("pass at >= 99% success and p99 under the latency objective, fail otherwise, and decide nothing without data", () => {
    expect(analysisThresholds).toEqual({ minSuccessRate: 0.99, maxP99Seconds: latencyObjective.p99Seconds });
    expect(analysisConditions.successRate.success).toBe("len(result) > 0 && result[0] >= 0.99");
    expect(analysisConditions.successRate.failure).toBe("len(result) > 0 && result[0] < 0.99");
    expect(analysisConditions.p99Latency.success).toBe("len(result) > 0 && result[0] < 0.2");
    expect(analysisConditions.p99Latency.failure).toBe("len(result) > 0 && result[0] >= 0.2");
  });
});
