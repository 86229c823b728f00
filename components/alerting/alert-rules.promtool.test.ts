import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { metricNames } from "../../contracts/telemetry-schema.js";
import { loadServiceRegistry } from "../../services/registry.js";
import {
  checkRules,
  constantSeries,
  ensurePromtool,
  type InputSeries,
  minutesOf,
  type RuleTest,
  requestHistogram,
  testRules,
} from "../../test/promtool.js";
import { type AlertLinks, type AlertRule, alertAnnotations, alertLabels, alertRules } from "./alert-rules.js";
import {
  type BurnRateKind,
  type BurnWindow,
  burnRateKinds,
  burnThreshold,
  burnWindows,
  errorRatioQuery,
} from "./burn-rate.js";
import { dashboardUid, panels } from "./dashboard.js";
import { analysisRecords, renderRuleFile, ruleFile } from "./prometheus-rules.js";

const services = await loadServiceRegistry();
const rules = alertRules(services);
const links: AlertLinks = {
  grafanaUrl: "https://grafana.example.com",
  runbookBaseUrl: "https://github.com/example/platform/blob/main/docs/runbooks",
  dashboardUid,
};
const rulesYaml = renderRuleFile(
  ruleFile(
    rules,
    links,
    services.map((s) => s.name),
  ),
);

const rule = (uid: string): AlertRule => {
  const found = rules.find((r) => r.uid === uid);
  if (!found) throw new Error(`no alert ${uid}`);
  return found;
};

/** Asserts that `alert` is silent at `silentAt` and fires (with its labels and annotations) at `firingAt`. */
function firesBetween(
  alert: AlertRule,
  series: InputSeries[],
  silentAt: string[],
  firingAt: string[],
  extraLabels = {},
) {
  const expected = [
    {
      exp_labels: { ...alertLabels(alert), ...extraLabels },
      exp_annotations: alertAnnotations(alert, links),
    },
  ];
  return {
    interval: "1m",
    input_series: series,
    alert_rule_test: [
      ...silentAt.map((eval_time) => ({ eval_time, alertname: alert.uid, exp_alerts: [] })),
      ...firingAt.map((eval_time) => ({ eval_time, alertname: alert.uid, exp_alerts: expected })),
    ],
  } satisfies RuleTest;
}

function expectPasses(tests: RuleTest[], rules = rulesYaml, evaluationInterval = "1m") {
  const run = testRules(rules, tests, evaluationInterval);
  expect(run.output).toContain("SUCCESS");
  expect(run.status, run.output).toBe(0);
}

const gateway = { service: "gateway", route: "GET /v1/products", zone: "eu-west-1a", version: "5d8f7c" };
const fast = { requests: 600, seconds: 0.09 };
const slow = { requests: 600, seconds: 0.3 };

describe("the Prometheus rules generated from the alert definitions", () => {
  beforeAll(() => ensurePromtool(), 300_000);

  it("parse: promtool accepts every alert and analysis expression of every service", () => {
    const run = checkRules(rulesYaml);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(new RegExp(`SUCCESS: ${rules.length + services.length * 4} rules found`));
  });

  it("parse: promtool accepts every query of the api-latency dashboard, its variables filled in", () => {
    const filled = panels.flatMap((p) =>
      p.targets.map((t) =>
        t.expr.replaceAll("$__rate_interval", "5m").replaceAll("$service", ".*").replaceAll("$route", ".*"),
      ),
    );
    const run = checkRules(
      stringify({
        groups: [
          { name: "dashboard", rules: filled.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) },
        ],
      }),
    );
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${filled.length} rules found`);
  });

  describe("the p99 latency page", () => {
    const page = rule("gateway-api-latency");
    // Fast for 10 minutes, then every request takes 300 ms from minute 11 on.
    const slowFromMinute11 = requestHistogram(gateway, [...minutesOf(10, fast), ...minutesOf(30, slow)]);

    it("stays silent after 4 minutes above 200 ms and fires once 5 minutes have passed", () => {
      expectPasses([firesBetween(page, slowFromMinute11, ["10m", "11m", "15m"], ["16m", "30m"])]);
    });

    it("never fires at 190 ms, however long it lasts", () => {
      const at190 = requestHistogram(gateway, minutesOf(60, { requests: 600, seconds: 0.19 }));
      expectPasses([firesBetween(page, at190, ["5m", "20m", "60m"], [])]);
    });

    it("fails the run when the expectation is wrong (fires after only 4 minutes)", () => {
      const run = testRules(rulesYaml, [firesBetween(page, slowFromMinute11, [], ["15m"])]);
      expect(run.status).not.toBe(0);
      expect(run.output).toContain("FAILED");
      expect(run.output).toContain("alertname: gateway-api-latency, time: 15m");
    });
  });

  describe("the error-rate page", () => {
    const page = rule("catalog-error-rate");
    const catalog = { ...gateway, service: "catalog", route: "GetProduct" };

    it("fires 5 minutes after 10% failures push the 5-minute error ratio over 5%", () => {
      // Failures from minute 11: the ratio over the window passes 5% at minute 13 (180 of 3000).
      const failing = requestHistogram(catalog, [
        ...minutesOf(10, fast),
        ...minutesOf(20, { ...fast, errors: 60 }),
      ]);
      expectPasses([firesBetween(page, failing, ["12m", "17m"], ["18m"])]);
    });

    it("stays silent at 2% failing requests", () => {
      const fewErrors = requestHistogram(catalog, minutesOf(30, { ...fast, errors: 12 }));
      expectPasses([firesBetween(page, fewErrors, ["10m", "30m"], [])]);
    });
  });

  describe("the consumer-lag alert", () => {
    const alert = rule("search-consumer-lag");
    const lag = (value: number) =>
      constantSeries(
        metricNames.consumerLag.prometheus,
        { service: "search", topic: "catalog.events.v1" },
        value,
        30,
      );

    it("fires once 5000 events have waited for 10 minutes", () => {
      expectPasses([firesBetween(alert, [lag(5000)], ["9m"], ["10m"])]);
    });

    it("stays silent at a lag of 500", () => {
      expectPasses([firesBetween(alert, [lag(500)], ["10m", "30m"], [])]);
    });
  });

  describe("the outbox-backlog alert", () => {
    const alert = rule("orders-outbox-backlog");
    const backlog = (value: number) =>
      constantSeries(metricNames.outboxBacklog.prometheus, { service: "orders" }, value, 30);

    it("fires once 1000 events have stayed unpublished for 10 minutes, not at 50", () => {
      expectPasses([
        firesBetween(alert, [backlog(1000)], ["9m"], ["10m"]),
        firesBetween(alert, [backlog(50)], ["30m"], []),
      ]);
    });
  });

  describe("the crash-looping alert", () => {
    const alert = rule("identity-crash-looping");
    const pod = { namespace: "platform", pod: "identity-7c9d-abcde", container: "identity" };

    it("fires for a pod restarting every minute, not for one restart", () => {
      const looping = {
        series: `kube_pod_container_status_restarts_total{namespace="platform",pod="${pod.pod}",container="identity"}`,
        values: "0+1x30",
      };
      const once = { ...looping, values: "0 1+0x30" };
      expectPasses([
        firesBetween(alert, [looping], ["4m"], ["10m"], { pod: pod.pod }),
        firesBetween(alert, [once], ["10m", "30m"], []),
      ]);
    });

    it("fires for a container waiting in CrashLoopBackOff", () => {
      const waiting = constantSeries(
        "kube_pod_container_status_waiting_reason",
        { ...pod, reason: "CrashLoopBackOff" },
        1,
        30,
      );
      expectPasses([firesBetween(alert, [waiting], ["4m"], ["5m"], { pod: pod.pod })]);
    });
  });

  describe("the SLO burn-rate alerts", () => {
    const catalog = services.find((s) => s.name === "catalog")!;
    // Catalog's rules only, rendered the same way: these tests evaluate hours and days of
    // samples, and the other services' rules would only multiply the work by seven.
    const catalogRules = renderRuleFile(
      ruleFile(
        rules.filter((r) => r.service === "catalog"),
        links,
        ["catalog"],
      ),
    );
    const labels = { ...gateway, service: "catalog", route: "GetProduct" };
    const [fastPair, , ticketPair] = burnWindows as [BurnWindow, BurnWindow, BurnWindow];

    /**
     * Catalog's traffic, 1000 requests a minute, in phases that each spend its `kind` SLO's
     * error budget `burn` times over (1x spends the 30-day budget in 30 days), sampled every
     * `step` minutes. Availability: that share of requests fail. Latency: that share take
     * 300 ms, on a route of their own, and the rest 90 ms.
     */
    function burning(kind: BurnRateKind, phases: { minutes: number; burn: number }[], step = 1) {
      const budget =
        1 - (kind === "availability-burn" ? catalog.slo.availability : catalog.slo.latency.target);
      const shares = phases.flatMap((p) => Array<number>(p.minutes / step).fill(p.burn * budget));
      const requests = 1000 * step;
      if (kind === "availability-burn")
        return requestHistogram(
          labels,
          shares.map((share) => ({ requests, seconds: 0.09, errors: share * requests })),
        );
      return [
        ...requestHistogram(
          { ...labels, route: "fast" },
          shares.map((share) => ({ requests: requests * (1 - share), seconds: 0.09 })),
        ),
        ...requestHistogram(
          { ...labels, route: "slow" },
          shares.map((share) => ({ requests: requests * share, seconds: 0.3 })),
        ),
      ];
    }

    /** At `at`, the error ratio over `range` is still above the window pair's threshold. */
    const stillAbove = (kind: BurnRateKind, window: BurnWindow, range: string, at: string) => ({
      expr: `(${errorRatioQuery(kind, catalog, range)}) > bool ${burnThreshold(kind, catalog, window)}`,
      eval_time: at,
      exp_samples: [{ labels: "{}", value: 1 }],
    });

    const healthy6h = { minutes: 360, burn: 0 };

    describe.each(burnRateKinds)("%s", (kind) => {
      const page = rule(`catalog-${kind}-page`);
      const ticket = rule(`catalog-${kind}-ticket`);

      it("pages 10 minutes into a 100x burn (1 h and 5 min over 14.4x), and stops 6 minutes after it ends", () => {
        // Six healthy hours, 20 minutes at 100x from minute 360, then healthy again. At
        // minute 368 the last hour holds 8 bad minutes of 60 (13.3x), at 370 ten (16.7x).
        const outage = burning(kind, [healthy6h, { minutes: 20, burn: 100 }, { minutes: 60, burn: 0 }]);
        expectPasses(
          [
            {
              ...firesBetween(page, outage, ["368m", "386m", "440m"], ["370m", "380m", "382m"]),
              // At 386 the hour is still far over 14.4x: only the 5-minute window reset the page.
              promql_expr_test: [stillAbove(kind, fastPair, "1h", "386m")],
            },
          ],
          catalogRules,
        );
      });

      it("pages on a 12x burn through the 6 h and 30 min pair after 3 hours; the 1 h pair stays silent below 14.4x", () => {
        // The last 6 hours pass 6x once more than half of them burned at 12x: minute 540.
        const leak = burning(kind, [healthy6h, { minutes: 240, burn: 12 }]);
        expectPasses([firesBetween(page, leak, ["420m", "530m"], ["550m", "600m"])], catalogRules);
      });

      it("never pages below 6x", () => {
        const slow = burning(kind, [{ minutes: 720, burn: 5 }]);
        expectPasses([firesBetween(page, slow, ["60m", "360m", "720m"], [])], catalogRules);
      });

      it("opens a ticket once a 2x burn has spent 10% of the budget over 3 days, and closes 3 hours after it ends", () => {
        // A healthy day, 30 hours at 2x, 6 healthy hours, in 10-minute samples. The 3 days
        // pass 1x when more than half of them burned (after 24 h at 2x); the last 6 hours
        // drop below 1x once more than half of them are healthy again (3 h after the end).
        const long = burning(kind, [{ minutes: 1440, burn: 0 }, { minutes: 1800, burn: 2 }, healthy6h], 10);
        expectPasses(
          [
            {
              ...firesBetween(ticket, long, ["2760m", "3430m"], ["3000m", "3240m", "3400m"]),
              interval: "10m",
              promql_expr_test: [stillAbove(kind, ticketPair, "3d", "3430m")],
            },
          ],
          catalogRules,
          "10m",
        );
      });

      it("opens no ticket below 1x, however long it lasts", () => {
        const fourDays = burning(kind, [{ minutes: 5760, burn: 0.8 }], 10);
        expectPasses(
          [{ ...firesBetween(ticket, fourDays, ["4320m", "5760m"], []), interval: "10m" }],
          catalogRules,
          "10m",
        );
      });
    });
  });

  describe("the rollout analysis and autoscaling queries of the Microservice component", () => {
    /** The recorded series of `service` holds `value` at minute 10. */
    const recordsAt10m = (record: string, service: string, value: number) => {
      const series = `${record}{service="${service}"}`;
      return { expr: series, eval_time: "10m", exp_samples: [{ labels: series, value }] };
    };

    it("record a canary's success rate and p99, and a service's queue depth and lag", () => {
      const catalog = { ...gateway, service: "catalog", route: "GetProduct" };
      expectPasses([
        {
          interval: "1m",
          input_series: [
            ...requestHistogram(catalog, minutesOf(10, { requests: 600, seconds: 0.09, errors: 150 })),
            constantSeries(metricNames.queueDepth.prometheus, { service: "catalog", pod: "a" }, 12, 10),
            constantSeries(metricNames.queueDepth.prometheus, { service: "catalog", pod: "b" }, 30, 10),
            constantSeries(
              metricNames.consumerLag.prometheus,
              { service: "search", topic: "catalog.events.v1" },
              40,
              10,
            ),
          ],
          promql_expr_test: [
            recordsAt10m(analysisRecords.successRate, "catalog", 0.75),
            recordsAt10m(analysisRecords.p99Latency, "catalog", 0.09975),
            recordsAt10m(analysisRecords.queueDepth, "catalog", 42),
            recordsAt10m(analysisRecords.consumerLag, "search", 40),
          ],
        },
      ]);
    });
  });
});
