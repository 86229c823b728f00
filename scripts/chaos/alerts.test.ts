import { describe, expect, it } from "vitest";
import { describeAlerts, mergeAlerts, parseAlerts, raisedSince } from "./alerts.js";

const answer = (alerts: { alertname: string; service?: string; state: string }[]) => ({
  status: "success",
  data: {
    alerts: alerts.map(({ alertname, service, state }) => ({
      labels: { alertname, severity: "critical", ...(service ? { service } : {}) },
      state,
      activeAt: "2026-12-05T07:00:00Z",
      value: "1",
    })),
  },
});

describe("alerts from Prometheus", () => {
  it("reads pending and firing alerts with their service", () => {
    expect(
      parseAlerts(answer([{ alertname: "orders-latency-burn", service: "orders", state: "firing" }])),
    ).toEqual([
      {
        name: "orders-latency-burn",
        service: "orders",
        state: "firing",
        activeAt: Date.parse("2026-12-05T07:00:00Z"),
      },
    ]);
  });

  it("reads an empty or malformed answer as no alerts", () => {
    expect(parseAlerts({ status: "success", data: { alerts: [] } })).toEqual([]);
    expect(parseAlerts("not json")).toEqual([]);
  });

  it("keeps each alert at the furthest state it reached", () => {
    const pending = parseAlerts(
      answer([{ alertname: "gateway-api-latency", service: "gateway", state: "pending" }]),
    );
    const firing = parseAlerts(
      answer([{ alertname: "gateway-api-latency", service: "gateway", state: "firing" }]),
    );
    expect(mergeAlerts(mergeAlerts([], firing), pending)).toEqual(firing);
    expect(mergeAlerts(pending, firing)).toEqual(firing);
  });

  it("describes them in one line, naming the service only where the rule does not", () => {
    expect(
      describeAlerts([
        { name: "gateway-api-latency", service: "gateway", state: "pending" },
        { name: "HighLoad", service: "orders", state: "firing" },
      ]),
    ).toBe("gateway-api-latency pending, HighLoad (orders) firing");
    expect(describeAlerts([])).toBe("none");
  });

  it("tells alerts raised during an experiment from those still active from an earlier one", () => {
    const start = Date.parse("2026-12-05T07:00:00Z");
    const earlier = {
      name: "identity-latency-burn-page",
      service: "identity",
      state: "firing" as const,
      activeAt: start - 1,
    };
    const raised = {
      name: "orders-api-latency",
      service: "orders",
      state: "pending" as const,
      activeAt: start + 1,
    };
    expect(raisedSince([earlier, raised], start)).toEqual({ raised: [raised], earlier: [earlier] });
  });
});
