import { describe, expect, it } from "vitest";
import { loadServiceRegistry, type RegisteredService } from "../../services/registry.js";
import { burnFactor, burnRateAlerts, burnWindows, errorRatioQuery } from "./burn-rate.js";

const services = await loadServiceRegistry();
const catalog = services.find((s) => s.name === "catalog")!;
const [fast, slow, ticket] = burnWindows as [
  (typeof burnWindows)[0],
  (typeof burnWindows)[0],
  (typeof burnWindows)[0],
];

describe("burn rates", () => {
  it("are the workbook's 14.4x (1 h), 6x (6 h) and 1x (3 d) on a 30-day SLO", () => {
    expect(burnWindows.map((w) => [w.long, w.short, burnFactor(w, 30), w.severity])).toEqual([
      ["1h", "5m", 14.4, "critical"],
      ["6h", "30m", 6, "critical"],
      ["3d", "6h", 1, "warning"],
    ]);
  });

  it("follow the SLO window: the same share of a 28-day budget is a slower burn", () => {
    expect([fast, slow, ticket].map((w) => burnFactor(w, 28))).toEqual([13.44, 5.6, 0.933333333333]);
  });
});

describe("burnRateAlerts", () => {
  it("page on either page window pair and ticket on the 3-day one, at the default objectives", () => {
    const [availabilityPage, availabilityTicket, latencyPage] = burnRateAlerts(catalog);
    expect(availabilityPage).toMatchObject({
      uid: "catalog-availability-burn-page",
      severity: "critical",
      for: "0s",
    });
    // 14.4 and 6 times the 0.1% budget of 99.9%, each over a long and a short window.
    expect(availabilityPage!.expr).toBe(
      `((${errorRatioQuery("availability-burn", catalog, "1h")}) > 0.0144 and (${errorRatioQuery("availability-burn", catalog, "5m")}) > 0.0144)` +
        ` or ((${errorRatioQuery("availability-burn", catalog, "6h")}) > 0.006 and (${errorRatioQuery("availability-burn", catalog, "30m")}) > 0.006)`,
    );
    expect(availabilityTicket).toMatchObject({
      uid: "catalog-availability-burn-ticket",
      severity: "warning",
    });
    expect(availabilityTicket!.expr).toMatch(/\[3d\]\)\)\) > 0\.001 and .*\[6h\]\)\)\) > 0\.001\)$/);
    expect(latencyPage!.summary).toBe(
      'catalog: spending the error budget of "99% of requests within 200 ms" (30 days) at 14.4x over 1h and 5m, or 6x over 6h and 30m',
    );
  });

  it("count errors for availability and requests over the threshold bucket for latency", () => {
    expect(errorRatioQuery("availability-burn", catalog, "5m")).toBe(
      'sum(rate(platform_request_duration_seconds_count{service="catalog",outcome="error"}[5m])) / sum(rate(platform_request_duration_seconds_count{service="catalog"}[5m]))',
    );
    expect(errorRatioQuery("latency-burn", catalog, "5m")).toBe(
      '1 - sum(rate(platform_request_duration_seconds_bucket{service="catalog",le="0.2"}[5m])) / sum(rate(platform_request_duration_seconds_count{service="catalog"}[5m]))',
    );
  });

  it("take a service's own objectives from its registry entry", () => {
    const search: RegisteredService = {
      ...catalog,
      name: "search",
      slo: { availability: 0.995, latency: { target: 0.95, thresholdSeconds: 0.5 }, windowDays: 30 },
    };
    const [availabilityPage, , latencyPage] = burnRateAlerts(search);
    expect(availabilityPage!.expr).toContain("> 0.072 and");
    expect(latencyPage!.expr).toContain('le="0.5"');
    expect(latencyPage!.expr).toContain("> 0.72 and");
    expect(latencyPage!.summary).toContain('"95% of requests within 500 ms"');
  });
});
