import * as pagerduty from "@pulumi/pagerduty";
import * as grafana from "@pulumiverse/grafana";
import { describe, expect, it } from "vitest";
import type { PlannedResource } from "../../scripts/plan/plan-types.js";
import { loadServiceRegistry } from "../../services/registry.js";
import { idOf, recorded } from "../../test/pulumi.js";
import { alertRules } from "./alert-rules.js";
import { Alerting, type AlertingArgs, validateAlertingArgs } from "./alerting.js";
import { expressionDatasource } from "./grafana-rules.js";

const services = await loadServiceRegistry();
const args: AlertingArgs = {
  services,
  displayName: "platform-prod",
  grafanaProvider: new grafana.Provider("grafana", { url: "https://grafana.example.com", auth: "admin:pw" }),
  pagerdutyProvider: new pagerduty.Provider("pagerduty", { token: "pd-token" }),
  backends: {
    prometheus: "http://mimir-query-frontend.observability.svc:8080/prometheus",
    loki: "http://loki-gateway.observability.svc",
    tempo: "http://tempo-query-frontend.observability.svc:3200",
  },
  links: {
    grafanaUrl: "https://grafana.example.com",
    runbookBaseUrl: "https://github.com/example/platform/blob/main/docs/runbooks",
  },
  onCall: {
    emails: ["alice@example.com", "bob@example.com"],
    escalationEmails: ["lead@example.com"],
    timeZone: "Europe/Dublin",
    rotationStart: "2026-01-05T09:00:00Z",
    handoffDays: 7,
  },
};

describe("Alerting", () => {
  const alerting = new Alerting("alerting", args);
  const only = async (type: string): Promise<PlannedResource> => {
    const [first, ...rest] = await recorded(type, alerting);
    expect(rest).toEqual([]);
    if (!first) throw new Error(`no ${type}`);
    return first;
  };

  it("adds Mimir (default), Loki and Tempo as data sources at the backends' query URLs", async () => {
    const sources = await recorded("grafana:oss/dataSource:DataSource", alerting);
    const rows = sources.map((s) => [
      s.inputs["uid"],
      s.inputs["type"],
      s.inputs["url"],
      s.inputs["isDefault"],
    ]);
    expect(rows.sort()).toEqual([
      ["loki", "loki", args.backends.loki, false],
      ["mimir", "prometheus", args.backends.prometheus, true],
      ["tempo", "tempo", args.backends.tempo, false],
    ]);
  });

  it("files the api-latency dashboard in the Platform folder", async () => {
    const folder = await only("grafana:oss/folder:Folder");
    const dashboard = await only("grafana:oss/dashboard:Dashboard");
    expect(dashboard.inputs["folder"]).toBe(folder.inputs["uid"]);
    expect(JSON.parse(dashboard.inputs["configJson"] as string)).toMatchObject({ uid: "api-latency" });
  });

  it("evaluates every alert with the very PromQL promtool tests, firing while it returns a series", async () => {
    const group = await only("grafana:alerting/ruleGroup:RuleGroup");
    const deployed = group.inputs["rules"] as {
      uid: string;
      condition: string;
      datas: { refId: string; datasourceUid: string; model: string }[];
    }[];
    const expected = alertRules(services);
    expect(deployed.map((r) => r.uid)).toEqual(expected.map((r) => r.uid));
    deployed.forEach((rule, i) => {
      const [a, b, c] = rule.datas;
      expect(a?.datasourceUid).toBe("mimir");
      expect(JSON.parse(a!.model).expr).toBe(expected[i]!.expr);
      expect([b?.datasourceUid, c?.datasourceUid]).toEqual([expressionDatasource, expressionDatasource]);
      expect(JSON.parse(c!.model).conditions[0].evaluator).toEqual({ type: "gt", params: [0] });
      expect(rule.condition).toBe("C");
    });
  });

  it("links every rule to its dashboard panel and runbook, with a summary", async () => {
    const group = await only("grafana:alerting/ruleGroup:RuleGroup");
    for (const rule of group.inputs["rules"] as { annotations: Record<string, string> }[]) {
      expect(rule.annotations).toMatchObject({
        __dashboardUid__: "api-latency",
        summary: expect.any(String),
        runbook_url: expect.stringMatching(
          /^https:\/\/github\.com\/example\/platform\/blob\/main\/docs\/runbooks\/[a-z-]+\.md$/,
        ),
        dashboard_url: expect.stringMatching(
          /^https:\/\/grafana\.example\.com\/d\/api-latency\?var-service=/,
        ),
      });
    }
  });

  it("rotates the on-call people weekly and escalates from the schedule to the escalation contacts", async () => {
    const schedule = await only("pagerduty:index/schedule:Schedule");
    const [layer] = schedule.inputs["layers"] as { users: string[]; rotationTurnLengthSeconds: number }[];
    expect(layer?.users).toHaveLength(2);
    expect(layer?.users.every((id) => /^P[0-9A-F]{6}$/.test(id))).toBe(true);
    expect(layer?.rotationTurnLengthSeconds).toBe(7 * 24 * 3600);
    const policy = await only("pagerduty:index/escalationPolicy:EscalationPolicy");
    expect(policy.inputs["rules"]).toEqual([
      { escalationDelayInMinutes: 15, targets: [{ type: "schedule_reference", id: idOf(schedule) }] },
      {
        escalationDelayInMinutes: 15,
        targets: [{ type: "user_reference", id: expect.stringMatching(/^P/) }],
      },
    ]);
  });

  it("opens incidents on a PagerDuty service with severity-based urgency, through an Events API v2 integration", async () => {
    const service = await only("pagerduty:index/service:Service");
    const policy = await only("pagerduty:index/escalationPolicy:EscalationPolicy");
    expect(service.inputs).toMatchObject({
      escalationPolicy: idOf(policy),
      alertCreation: "create_alerts_and_incidents",
      incidentUrgencyRule: { type: "constant", urgency: "severity_based" },
    });
    const integration = await only("pagerduty:index/serviceIntegration:ServiceIntegration");
    expect(integration.inputs).toMatchObject({ service: idOf(service), vendor: "PAM4FGS" });
  });

  it("feeds the integration key to Grafana's PagerDuty contact point, as a secret", async () => {
    const contact = await only("grafana:alerting/contactPoint:ContactPoint");
    const integration = await only("pagerduty:index/serviceIntegration:ServiceIntegration");
    expect(contact.inputs["pagerduties"]).toBe("[secret]");
    expect(contact.dependencies["pagerduties"]).toContain(integration.urn);
  });

  it("routes severity=critical to PagerDuty", async () => {
    const policy = await only("grafana:alerting/notificationPolicy:NotificationPolicy");
    expect(policy.inputs).toMatchObject({
      contactPoint: "pagerduty",
      policies: [
        {
          matchers: [{ label: "severity", match: "=", value: "critical" }],
          contactPoint: "pagerduty",
          groupWait: "30s",
        },
      ],
    });
  });
});

describe("validateAlertingArgs", () => {
  it("refuses a rotation without people", () => {
    expect(() => validateAlertingArgs({ ...args, onCall: { ...args.onCall, emails: [] } })).toThrow(
      expect.objectContaining({ propertyPath: "onCall.emails" }),
    );
  });

  it("refuses an on-call entry that is not an email address", () => {
    expect(() => validateAlertingArgs({ ...args, onCall: { ...args.onCall, emails: ["alice"] } })).toThrow(
      expect.objectContaining({ propertyPath: "onCall.emails[0]" }),
    );
  });

  it("refuses a runbook link that is not a URL", () => {
    expect(() =>
      validateAlertingArgs({ ...args, links: { ...args.links, runbookBaseUrl: "docs/runbooks" } }),
    ).toThrow(expect.objectContaining({ propertyPath: "links.runbookBaseUrl" }));
  });
});
