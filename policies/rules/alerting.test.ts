import { describe, expect, it } from "vitest";
import { durationSeconds, thresholdOf } from "../lib/grafana-alerts.js";
import { alerting, changed, check, find, latencyRule, messages } from "../test/fixtures.js";
import { publicServiceLatencyAlert } from "./alerting.js";

const policy = publicServiceLatencyAlert(["gateway", "orders"]);
const stack = alerting(["gateway", "orders"]);
const withRules = (...rules: unknown[]) =>
  stack.map((r) =>
    r === find(stack, "grafana:alerting/ruleGroup:RuleGroup")
      ? changed(r, (c) => (c.inputs["rules"] = rules))
      : r,
  );

describe("public-service-latency-alert", () => {
  it("passes when every public service has a p99 <= 200 ms / 5 min alert paging PagerDuty", async () => {
    expect(messages(await check(policy, stack))).toEqual([]);
  });

  it("fails for every public service while no alert exists", async () => {
    expect(messages(await check(policy, []))).toEqual([
      "gateway: no alert on histogram_quantile(0.99, platform_request_duration_seconds_bucket) for this service",
      "orders: no alert on histogram_quantile(0.99, platform_request_duration_seconds_bucket) for this service",
    ]);
  });

  it("names what is wrong with an alert that exists", async () => {
    const lax = { ...latencyRule("orders", 0.5, "10m"), labels: { severity: "warning", service: "orders" } };
    expect(messages(await check(policy, withRules(latencyRule("gateway"), lax)))).toEqual([
      'orders: alert "API latency orders" fires above 0.5 s, not at most 0.2 s; waits 10m, longer than 5m; routes to email, not PagerDuty',
    ]);
  });

  it("accepts one alert for all services grouped by service, or a rule's own contact point", async () => {
    const all = changed(latencyRule("x"), (r) => {
      r.datas[0]!.model = JSON.stringify({
        expr: "histogram_quantile(0.99, sum by (service, le) (rate(platform_request_duration_seconds_bucket[5m]))) > 0.15",
      });
      Object.assign(r, { labels: {}, notificationSettings: { contactPoint: "pagerduty" } });
    });
    expect(messages(await check(policy, withRules(all)))).toEqual([]);
  });

  it("follows the notification policy tree, `continue` included", async () => {
    const routing = (first: Record<string, unknown>) =>
      stack.map((r) =>
        r.type.includes("notificationPolicy")
          ? changed(r, (c) => {
              c.inputs["policies"] = [
                first,
                { contactPoint: "pagerduty", matchers: [{ label: "service", match: "=~", value: ".+" }] },
              ];
            })
          : r,
      );
    const email = { contactPoint: "email", matchers: [{ label: "severity", match: "=", value: "critical" }] };
    expect(messages(await check(policy, routing({ ...email, continue: true })))).toEqual([]);
    expect(messages(await check(policy, routing(email)))).toHaveLength(2);
  });

  it("does not count an alert whose matcher excludes the service", async () => {
    const others = changed(latencyRule("x"), (r) => {
      r.datas[0]!.model = JSON.stringify({
        expr: 'histogram_quantile(0.99, sum by (service, le) (rate(platform_request_duration_seconds_bucket{service!="orders"}[5m]))) > 0.2',
      });
    });
    expect(messages(await check(policy, withRules(others)))).toEqual([
      "orders: no alert on histogram_quantile(0.99, platform_request_duration_seconds_bucket) for this service",
    ]);
  });
});

describe("alert thresholds and durations", () => {
  it("follow the condition through threshold and reduce stages to the PromQL", () => {
    expect(thresholdOf(latencyRule("a", 0.2))).toBe(0.2);
    const math = changed(latencyRule("a"), (r) => {
      r.datas[0]!.model = JSON.stringify({ expr: "histogram_quantile(0.99, x)" });
      r.datas[2]!.model = JSON.stringify({ type: "math", expression: "$B > 0.3" });
    });
    expect(thresholdOf(math)).toBe(0.3);
  });
  it("read Prometheus durations", () => {
    expect(durationSeconds("1m30s")).toBe(90);
    expect(durationSeconds("5m")).toBe(300);
  });
});
