import { describe, expect, it } from "vitest";
import { metricNames } from "../../contracts/telemetry-schema.js";
import { alertKinds } from "./alert-rules.js";
import { apiLatencyDashboard, dashboardUid, panelOf, panels } from "./dashboard.js";

const board = apiLatencyDashboard("mimir");
const titled = (text: string) => {
  const panel = panels.find((p) => p.title.includes(text));
  if (!panel) throw new Error(`no panel titled like "${text}"`);
  return panel;
};

describe("the api-latency dashboard", () => {
  it("is the board alerts link to", () => {
    expect(board.uid).toBe(dashboardUid);
    expect(board.uid).toBe("api-latency");
  });

  it("shows p50, p95 and p99 per service and route against the 200 ms objective", () => {
    const latency = titled("p50 / p95 / p99");
    expect(latency.targets.map((t) => t.expr.slice(0, 24))).toEqual([
      "histogram_quantile(0.5, ",
      "histogram_quantile(0.95,",
      "histogram_quantile(0.99,",
    ]);
    for (const t of latency.targets) expect(t.expr).toContain("sum by (service, route, le)");
    expect(latency.threshold).toBe(0.2);
  });

  it("shows errors, traffic, CPU saturation and queue depth", () => {
    expect(titled("Error rate by service").targets[0]?.expr).toContain('outcome="error"');
    expect(titled("Request rate").targets[0]?.expr).toContain(
      `${metricNames.requestDuration.prometheus}_count`,
    );
    expect(titled("CPU saturation").targets[0]?.expr).toMatch(
      /container_cpu_usage_seconds_total.*kube_pod_container_resource_requests/,
    );
    expect(titled("Queue depth").targets[0]?.expr).toContain(metricNames.queueDepth.prometheus);
  });

  it("breaks latency down by zone and by version, for canaries", () => {
    expect(titled("by zone").targets[0]?.expr).toContain("sum by (service, zone, le)");
    expect(titled("Latency p99 by version").targets[0]?.expr).toContain("sum by (service, version, le)");
    expect(titled("Error rate by version").targets[0]?.expr).toContain("sum by (service, version)");
  });

  it("filters every request query by the service and route variables", () => {
    expect(board.templating.list.map((v) => v.name)).toEqual(["service", "route"]);
    for (const panel of panels)
      for (const t of panel.targets)
        if (t.expr.includes(metricNames.requestDuration.prometheus))
          expect(t.expr).toContain('route=~"$route"');
  });

  it("queries only the given data source, from panels with unique ids laid out without overlap", () => {
    expect(new Set(board.panels.map((p) => p.id)).size).toBe(board.panels.length);
    const cells = board.panels.map((p) => `${p.gridPos.x},${p.gridPos.y}`);
    expect(new Set(cells).size).toBe(cells.length);
    for (const p of board.panels) {
      expect(p.datasource.uid).toBe("mimir");
      for (const t of p.targets) expect(t.datasource.uid).toBe("mimir");
    }
  });

  it("has the panel every alert kind links to", () => {
    for (const kind of alertKinds) expect(panels.map((p) => p.id)).toContain(panelOf[kind]);
  });
});
