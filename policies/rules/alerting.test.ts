import { describe, expect, it } from "vitest";
import { durationSeconds, thresholdOf } from "../lib/grafana-alerts.js";
import {
  alerting,
  burnRateRule,
  burnRateRules,
  changed,
  check,
  find,
  latencyRule,
  messages,
} from "../test/fixtures.js";
import { publicServiceLatencyAlert, type WindowPair, watchesBurnRate } from "./alerting.js";

const windows: WindowPair[] = [
  ["1h", "5m"],
  ["6h", "30m"],
  ["3d", "6h"],
];
const services = ["gateway", "orders"];
const policy = publicServiceLatencyAlert(services, windows);
const stack = alerting(services);
/** The stack with these rules instead of its rules. */
const withOnly = (...rules: unknown[]) =>
  stack.map((r) =>
    r === find(stack, "grafana:alerting/ruleGroup:RuleGroup")
      ? changed(r, (c) => (c.inputs["rules"] = rules))
      : r,
  );
/** The stack with these p99 rules and every service's burn-rate rules. */
const withRules = (...rules: unknown[]) => withOnly(...rules, ...services.flatMap(burnRateRules));
const burnGaps = (service: string) =>
  (["availability", "latency"] as const).flatMap((slo) =>
    windows.map(
      ([long, short]) =>
        `${service}: no ${slo} burn-rate alert over ${long} and ${short} that reaches PagerDuty`,
    ),
  );

describe("public-service-latency-alert", () => {
  it("passes when every public service has a p99 <= 200 ms / 5 min alert and burn-rate alerts paging PagerDuty", async () => {
    expect(messages(await check(policy, stack))).toEqual([]);
  });

  it("fails for every public service while no alert exists", async () => {
    expect(messages(await check(policy, []))).toEqual(
      services.flatMap((s) => [
        `${s}: no alert on histogram_quantile(0.99, platform_request_duration_seconds_bucket) for this service`,
        ...burnGaps(s),
      ]),
    );
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
    // Critical rules reach email only: each service's p99 page and its 2 x 2 burn-rate page pairs.
    expect(messages(await check(policy, routing(email)))).toHaveLength(10);
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

describe("public-service-latency-alert: the burn-rate alerts", () => {
  it("wants each SLO's burn rate watched over every window pair, and names the missing pair", async () => {
    const onePairShort = services
      .flatMap(burnRateRules)
      .map((rule) =>
        rule.name === "availability budget burn orders 1h/6h"
          ? burnRateRule("orders", "availability", [["1h", "5m"]])
          : rule,
      );
    expect(
      messages(await check(policy, withOnly(latencyRule("gateway"), latencyRule("orders"), ...onePairShort))),
    ).toEqual(["orders: no availability burn-rate alert over 6h and 30m that reaches PagerDuty"]);
  });

  it("does not take the p99 page, which reads every bucket, for a latency burn rate", async () => {
    const p99Only = messages(await check(policy, withOnly(latencyRule("gateway"), latencyRule("orders"))));
    expect(p99Only).toEqual(services.flatMap(burnGaps));
  });

  it("names a burn-rate alert that exists but is paused", async () => {
    const rules = services
      .flatMap(burnRateRules)
      .map((rule) => (rule.name === "latency budget burn gateway 3d" ? { ...rule, isPaused: true } : rule));
    expect(
      messages(await check(policy, withOnly(latencyRule("gateway"), latencyRule("orders"), ...rules))),
    ).toEqual([
      'gateway: no latency burn-rate alert over 3d and 6h that reaches PagerDuty ("latency budget burn gateway 3d" is paused or routed elsewhere)',
    ]);
  });

  it("reads ranges however they are spelled, and the service from its matchers", () => {
    const config = {
      publicServices: services,
      serviceLabel: "service",
      metric: "platform_request_duration_seconds",
      maxThresholdSeconds: 0.2,
      maxFor: "5m",
      burnRateWindows: windows,
    };
    const expr = (service: string, long: string) =>
      `sum(rate(platform_request_duration_seconds_count{service=~"${service}",outcome="error"}[${long}])) / sum(rate(platform_request_duration_seconds_count{service=~"${service}"}[${long}])) > 0.0144 and sum(rate(platform_request_duration_seconds_count{service=~"${service}",outcome="error"}[300s])) > 0`;
    expect(watchesBurnRate(expr("orders", "60m"), "orders", "availability", ["1h", "5m"], config)).toBe(true);
    expect(
      watchesBurnRate(expr("gateway|orders", "1h"), "orders", "availability", ["1h", "5m"], config),
    ).toBe(true);
    expect(watchesBurnRate(expr("gateway", "1h"), "orders", "availability", ["1h", "5m"], config)).toBe(
      false,
    );
    expect(watchesBurnRate(expr("orders", "1h"), "orders", "latency", ["1h", "5m"], config)).toBe(false);
    expect(watchesBurnRate(expr("orders", "2h"), "orders", "availability", ["1h", "5m"], config)).toBe(false);
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
