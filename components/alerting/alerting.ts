import * as pagerduty from "@pulumi/pagerduty";
import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import type { RegisteredService } from "../../services/registry.js";
import { invalid } from "../shared/validation.js";
import { type AlertLinks, alertRules } from "./alert-rules.js";
import { apiLatencyDashboard, dashboardUid, panelOf } from "./dashboard.js";
import { grafanaRule } from "./grafana-rules.js";
import {
  escalationRules,
  incidentUrgencyRule,
  notificationRoutes,
  pagerDutyEvent,
  rotationLayer,
} from "./paging.js";

export interface OnCallArgs {
  /** PagerDuty users (by login email) in the rotation, in order; at least one. */
  readonly emails: readonly string[];
  /** PagerDuty users paged when the on-call person does not acknowledge in time. Default: none. */
  readonly escalationEmails?: readonly string[];
  /** IANA time zone of the schedule, e.g. "Europe/Dublin". */
  readonly timeZone: string;
  /** When the rotation starts (ISO 8601); hand-offs happen at its time of day. */
  readonly rotationStart: string;
  /** Days each person is on call. */
  readonly handoffDays: number;
}

export interface AlertingArgs {
  /** The service registry: every service gets its alerts. */
  readonly services: readonly RegisteredService[];
  /** A name for PagerDuty objects, e.g. "platform-prod". */
  readonly displayName: string;
  /** Provider of the Grafana the data sources, dashboard and alerts go to. */
  readonly grafanaProvider: grafana.Provider;
  /** Provider of the PagerDuty account. */
  readonly pagerdutyProvider: pagerduty.Provider;
  /** Backends the data sources query. */
  readonly backends: { readonly prometheus: string; readonly loki: string; readonly tempo: string };
  /** Links every notification carries. */
  readonly links: Omit<AlertLinks, "dashboardUid">;
  readonly onCall: OnCallArgs;
}

const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function validateAlertingArgs(args: AlertingArgs): void {
  if (args.onCall.emails.length === 0) invalid("onCall.emails", "expected at least one person on call");
  for (const [path, list] of [
    ["onCall.emails", args.onCall.emails],
    ["onCall.escalationEmails", args.onCall.escalationEmails ?? []],
  ] as const) {
    list.forEach((email, i) => {
      if (!emailPattern.test(email)) invalid(`${path}[${i}]`, `"${email}" is not an email address`);
    });
  }
  for (const [path, url] of Object.entries(args.links))
    if (!/^https?:\/\/\S+$/.test(url)) invalid(`links.${path}`, `expected an http(s) URL, got "${url}"`);
  if (Number.isNaN(Date.parse(args.onCall.rotationStart)))
    invalid("onCall.rotationStart", `expected an ISO 8601 time, got "${args.onCall.rotationStart}"`);
}

/** Data source uids, fixed so dashboards and rules can name them. */
export const datasourceUids = { prometheus: "mimir", loki: "loki", tempo: "tempo" } as const;

/**
 * Grafana holds the platform's view and its alerts; PagerDuty wakes people. Data sources
 * for Mimir, Loki and Tempo; the `api-latency` dashboard; one rule group with every
 * service's alerts (each with a summary, a runbook and a dashboard link); an on-call
 * schedule, escalation policy and service in PagerDuty, whose Events API v2 integration
 * key feeds Grafana's PagerDuty contact point; a notification policy sending critical
 * alerts to it at once.
 */
export class Alerting extends pulumi.ComponentResource {
  static readonly type = "platform:observability:Alerting";

  readonly folder: grafana.oss.Folder;
  readonly dashboard: grafana.oss.Dashboard;
  readonly ruleGroup: grafana.alerting.RuleGroup;
  readonly contactPoint: grafana.alerting.ContactPoint;
  readonly pagerdutyService: pagerduty.Service;
  /** The Events API v2 integration; its key is a secret. */
  readonly integration: pagerduty.ServiceIntegration;
  /** The dashboard's URL. */
  readonly dashboardUrl: string;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    validateAlertingArgs(args);
    const rules = alertRules(args.services);
    super(Alerting.type, name, { rules: rules.length, displayName: args.displayName }, opts);
    const g = { parent: this, provider: args.grafanaProvider };
    const pd = { parent: this, provider: args.pagerdutyProvider };
    const links: AlertLinks = { ...args.links, dashboardUid };
    this.dashboardUrl = `${args.links.grafanaUrl.replace(/\/+$/, "")}/d/${dashboardUid}`;

    const datasource = (kind: keyof typeof datasourceUids, type: string, jsonData: object) =>
      new grafana.oss.DataSource(
        `${name}-${kind}`,
        {
          name: { prometheus: "Mimir", loki: "Loki", tempo: "Tempo" }[kind],
          uid: datasourceUids[kind],
          type,
          url: args.backends[kind],
          isDefault: kind === "prometheus",
          jsonDataEncoded: JSON.stringify(jsonData),
        },
        g,
      );
    datasource("prometheus", "prometheus", {
      httpMethod: "POST",
      prometheusType: "Mimir",
      timeInterval: "60s",
    });
    datasource("loki", "loki", { maxLines: 1000 });
    datasource("tempo", "tempo", {
      tracesToLogsV2: { datasourceUid: datasourceUids.loki, filterByTraceID: true },
      serviceMap: { datasourceUid: datasourceUids.prometheus },
    });

    this.folder = new grafana.oss.Folder(`${name}-folder`, { uid: "platform", title: "Platform" }, g);
    this.dashboard = new grafana.oss.Dashboard(
      `${name}-api-latency`,
      {
        folder: this.folder.uid,
        configJson: JSON.stringify(apiLatencyDashboard(datasourceUids.prometheus)),
        overwrite: true,
      },
      g,
    );
    this.ruleGroup = new grafana.alerting.RuleGroup(
      `${name}-rules`,
      {
        name: "platform",
        folderUid: this.folder.uid,
        intervalSeconds: 60,
        rules: rules.map((rule) =>
          grafanaRule(rule, { datasourceUid: datasourceUids.prometheus, links, panelId: panelOf[rule.kind] }),
        ),
      },
      g,
    );

    // PagerDuty: people are looked up by login email; the program does not manage accounts.
    const userId = (email: string) => pagerduty.getUserOutput({ email }, pd).id;
    const schedule = new pagerduty.Schedule(
      `${name}-on-call`,
      {
        name: `${args.displayName} on call`,
        timeZone: args.onCall.timeZone,
        layers: pulumi.all(args.onCall.emails.map(userId)).apply((userIds) => [
          rotationLayer({
            userIds,
            start: args.onCall.rotationStart,
            handoffDays: args.onCall.handoffDays,
          }),
        ]),
      },
      pd,
    );
    const policy = new pagerduty.EscalationPolicy(
      `${name}-escalation`,
      {
        name: `${args.displayName} escalation`,
        numLoops: 2,
        rules: pulumi
          .all([schedule.id, pulumi.all((args.onCall.escalationEmails ?? []).map(userId))])
          .apply(([scheduleId, escalationIds]) => escalationRules(scheduleId, escalationIds)),
      },
      pd,
    );
    this.pagerdutyService = new pagerduty.Service(
      `${name}-service`,
      {
        name: args.displayName,
        description: "Alerts of the platform's services, from Grafana",
        escalationPolicy: policy.id,
        alertCreation: "create_alerts_and_incidents",
        acknowledgementTimeout: "1800",
        autoResolveTimeout: "null",
        incidentUrgencyRule: incidentUrgencyRule,
      },
      pd,
    );
    const vendor = pagerduty.getVendorOutput({ name: "Events API V2" }, pd);
    this.integration = new pagerduty.ServiceIntegration(
      `${name}-grafana`,
      { name: "Grafana", service: this.pagerdutyService.id, vendor: vendor.id },
      { ...pd, additionalSecretOutputs: ["integrationKey"] },
    );

    this.contactPoint = new grafana.alerting.ContactPoint(
      `${name}-pagerduty`,
      {
        name: "pagerduty",
        pagerduties: [
          {
            integrationKey: pulumi.secret(this.integration.integrationKey),
            clientUrl: this.dashboardUrl,
            ...pagerDutyEvent,
          },
        ],
      },
      g,
    );
    const routes = notificationRoutes("pagerduty");
    new grafana.alerting.NotificationPolicy(
      `${name}-routing`,
      { ...routes.root, policies: [routes.critical] },
      { ...g, dependsOn: [this.contactPoint] },
    );

    this.registerOutputs({
      dashboardUrl: this.dashboardUrl,
      pagerdutyService: this.pagerdutyService.id,
      rules: rules.length,
    });
  }
}
