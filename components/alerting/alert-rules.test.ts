import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { latencyObjective } from "../../contracts/telemetry-schema.js";
import { repoRoot } from "../../local/paths.js";
import { loadServiceRegistry } from "../../services/registry.js";
import { alertAnnotations, alertKinds, alertRules, runbookFile } from "./alert-rules.js";
import { dashboardUid } from "./dashboard.js";

const services = await loadServiceRegistry();
const rules = alertRules(services);
const runbookBaseUrl = "https://github.com/example/platform/blob/main/docs/runbooks";
const links = { grafanaUrl: "https://grafana.example.com/", runbookBaseUrl, dashboardUid };
const runbooks = join(repoRoot, "docs", "runbooks");

describe("alertRules", () => {
  it("gives every service the error-rate and crash-looping alerts, and public services the p99 page", () => {
    for (const service of services) {
      const kinds = rules.filter((r) => r.service === service.name).map((r) => r.kind);
      expect(kinds).toEqual(expect.arrayContaining(["error-rate", "crash-looping"]));
      expect(kinds.includes("api-latency")).toBe(service.public);
    }
  });

  it("watches consumer lag of exactly the consumers and the outbox of exactly the publishers", () => {
    const withKind = (kind: string) => rules.filter((r) => r.kind === kind).map((r) => r.service);
    expect(withKind("consumer-lag")).toEqual(
      services.filter((s) => s.consumedTopics.length > 0).map((s) => s.name),
    );
    expect(withKind("outbox-backlog")).toEqual(services.filter((s) => s.topic).map((s) => s.name));
    expect(withKind("consumer-lag").length).toBeGreaterThan(0);
  });

  it("pages on the latency objective of the telemetry contract: p99 above 200 ms for 5 minutes", () => {
    const page = rules.find((r) => r.uid === "gateway-api-latency")!;
    expect(page.expr).toMatch(
      /^histogram_quantile\(0\.99, .*platform_request_duration_seconds_bucket\{service="gateway"\}.*\) > 0\.2$/,
    );
    expect(page.for).toBe(`${latencyObjective.forMinutes}m`);
    expect(page.severity).toBe("critical");
  });

  it("gives every alert a unique uid", () => {
    expect(new Set(rules.map((r) => r.uid)).size).toBe(rules.length);
  });

  it("never pages for lag, backlog or restarts alone", () => {
    for (const rule of rules.filter((r) => !r.kind.endsWith("-burn")))
      expect(rule.severity).toBe(
        rule.kind === "api-latency" || rule.kind === "error-rate" ? "critical" : "warning",
      );
  });

  it("gives every service a page and a ticket on the burn rate of each of its two SLOs", () => {
    for (const service of services) {
      const burns = rules.filter((r) => r.service === service.name && r.kind.endsWith("-burn"));
      expect(burns.map((r) => [r.kind, r.severity])).toEqual([
        ["availability-burn", "critical"],
        ["availability-burn", "warning"],
        ["latency-burn", "critical"],
        ["latency-burn", "warning"],
      ]);
    }
  });
});

describe("alertAnnotations", () => {
  it("carry a summary, a dashboard link filtered to the service, and a runbook link", () => {
    const rule = rules.find((r) => r.uid === "search-consumer-lag")!;
    expect(alertAnnotations(rule, links)).toEqual({
      summary: "search: more than 1000 events waiting for its consumer group for 10 minutes",
      runbook_url: `${runbookBaseUrl}/consumer-lag.md`,
      dashboard_url: "https://grafana.example.com/d/api-latency?var-service=search",
    });
  });

  it("link every alert to a runbook page that exists under docs/runbooks", () => {
    for (const rule of rules) {
      const url = alertAnnotations(rule, links)["runbook_url"]!;
      expect(url.startsWith(`${runbookBaseUrl}/`)).toBe(true);
      const file = join(runbooks, url.slice(runbookBaseUrl.length + 1));
      expect(existsSync(file), `${rule.uid} -> ${file}`).toBe(true);
    }
  });
});

describe("the runbooks", () => {
  it.each(alertKinds)("%s says what the alert means, what to check and how to mitigate", (kind) => {
    const text = readFileSync(join(runbooks, runbookFile(kind)), "utf8");
    for (const heading of ["## What it means", "## What to check", "## How to mitigate"])
      expect(text).toContain(heading);
  });

  it("cover every kind an alert can have, and no other", () => {
    const kinds = new Set(rules.map((r) => r.kind));
    expect([...kinds].sort()).toEqual([...alertKinds].sort());
  });
});
