/**
 * The local OpenTelemetry Collector (local/collector.ts) end to end: OTLP/HTTP in, the
 * traces and logs files and the Prometheus endpoint out, and the local Prometheus scraping it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { promQuery, waitFor } from "../test/telemetry.js";

const servers = inject("servers");
const otlp = servers["PLATFORM_OTLP_ENDPOINT"]!;

type Attribute = { key: string; value: { stringValue: string } };
const attributes = (values: Record<string, string>): Attribute[] =>
  Object.entries(values).map(([key, value]) => ({ key, value: { stringValue: value } }));

/** The OTLP/JSON body of one export: `items` under one resource and one instrumentation scope. */
const signals = {
  traces: ["resourceSpans", "scopeSpans", "spans"],
  logs: ["resourceLogs", "scopeLogs", "logRecords"],
  metrics: ["resourceMetrics", "scopeMetrics", "metrics"],
} as const;

/** Sends `items` over OTLP/HTTP (JSON) as the service `collector-probe`. */
async function post(signal: keyof typeof signals, items: unknown[]): Promise<void> {
  const [resources, scopes, list] = signals[signal];
  const resource = {
    attributes: attributes({ "service.name": "collector-probe", "service.namespace": "platform" }),
  };
  const body = { [resources]: [{ resource, [scopes]: [{ scope: { name: "probe" }, [list]: items }] }] };
  const response = await fetch(`${otlp}/v1/${signal}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.text()).toBe(200);
}

/** The lines of a JSON-lines file that contain `needle`, parsed. */
function linesWith(file: string, needle: string): unknown[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.includes(needle))
    .map((line) => JSON.parse(line) as unknown);
}

describe("the local OpenTelemetry Collector", () => {
  const probe = randomBytes(4).toString("hex");
  const nowNs = () => `${BigInt(Date.now()) * 1_000_000n}`;

  it("connects clients through the PLATFORM_* variables", () => {
    const loopback = (path = "") => new RegExp(`^http://127\\.0\\.0\\.1:\\d+${path}$`);
    expect(servers["PLATFORM_OTLP_ENDPOINT"]).toMatch(loopback());
    expect(servers["PLATFORM_COLLECTOR_METRICS"]).toMatch(loopback("/metrics"));
    expect(servers["PLATFORM_PROMETHEUS_URL"]).toMatch(loopback());
    expect(servers["PLATFORM_COLLECTOR_TRACES"]).toMatch(/\/collector\/traces\.jsonl$/);
    expect(servers["PLATFORM_COLLECTOR_LOGS"]).toMatch(/\/collector\/logs\.jsonl$/);
  });

  it("writes a span received over OTLP/HTTP to the traces file, after tail sampling decides", async () => {
    const traceId = randomBytes(16).toString("hex");
    // 250 ms, slower than the objective: the latency policy keeps it whatever the baseline.
    const start = Date.now() - 250;
    await post("traces", [
      {
        traceId,
        spanId: randomBytes(8).toString("hex"),
        name: `probe-${probe}`,
        kind: 2,
        startTimeUnixNano: `${BigInt(start) * 1_000_000n}`,
        endTimeUnixNano: nowNs(),
      },
    ]);
    const file = servers["PLATFORM_COLLECTOR_TRACES"]!;
    const started = performance.now();
    const line = await waitFor("the span in the traces file", () => linesWith(file, traceId)[0], 15_000);
    // decision_wait (2 s) plus the batch (1 s), give or take a tick.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(JSON.stringify(line)).toContain(`probe-${probe}`);
    // resource_detection adds what OTEL_RESOURCE_ATTRIBUTES of the collector says.
    expect(JSON.stringify(line)).toContain('"deployment.environment.name"');
  });

  it("writes a log record to the logs file", async () => {
    await post("logs", [
      {
        timeUnixNano: nowNs(),
        severityNumber: 9,
        severityText: "info",
        body: { stringValue: `log-${probe}` },
      },
    ]);
    const file = servers["PLATFORM_COLLECTOR_LOGS"]!;
    await waitFor("the record in the logs file", () => linesWith(file, `log-${probe}`)[0], 10_000);
  });

  it("serves a metric on its Prometheus endpoint, and the local Prometheus scrapes it", async () => {
    await post("metrics", [
      {
        name: "platform.local.probe",
        unit: "{probe}",
        gauge: { dataPoints: [{ asDouble: 42, timeUnixNano: nowNs(), attributes: attributes({ probe }) }] },
      },
    ]);
    const exposition = await waitFor(
      "the metric on the collector's endpoint",
      async () => {
        const text = await (await fetch(servers["PLATFORM_COLLECTOR_METRICS"]!)).text();
        return text.includes(`probe="${probe}"`) ? text : undefined;
      },
      10_000,
    );
    const sample = exposition.split("\n").find((l) => l.includes(`probe="${probe}"`));
    // The unit in braces is an annotation: no suffix. Resource attributes are labels.
    expect(sample).toMatch(/^platform_local_probe\{/);
    expect(sample).toContain('service_name="collector-probe"');
    expect(sample).toContain('job="platform/collector-probe"');
    expect(sample).toMatch(/ 42$/);

    const [series] = await waitFor(
      "the metric in Prometheus",
      async () => {
        const result = await promQuery(
          servers["PLATFORM_PROMETHEUS_URL"]!,
          `platform_local_probe{probe="${probe}"}`,
        );
        return result.length > 0 ? result : undefined;
      },
      15_000,
    );
    // honor_labels: the job is the exporter's, not the scrape job's.
    expect(series?.metric).toMatchObject({ job: "platform/collector-probe", probe });
    expect(Number(series?.value[1])).toBe(42);
  });
});
