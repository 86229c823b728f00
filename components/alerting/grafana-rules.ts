/**
 * Alert rules in Grafana's form: query A is the rule's PromQL (the exact string the
 * Prometheus rules file carries, so `promtool` tests what Grafana runs), B reduces it to
 * its last value, C fires while B is above 0. The PromQL returns series only while the
 * condition holds, so "no data" means "fine" (noDataState OK); a failing query alerts.
 */
import { type AlertLinks, type AlertRule, alertAnnotations, alertLabels } from "./alert-rules.js";

/** Grafana's pseudo data source of server-side expressions. */
export const expressionDatasource = "__expr__";

export interface GrafanaRuleData {
  readonly refId: string;
  readonly datasourceUid: string;
  readonly relativeTimeRange: { readonly from: number; readonly to: number };
  readonly model: string;
}

export interface GrafanaRule {
  readonly uid: string;
  readonly name: string;
  readonly for: string;
  readonly condition: string;
  readonly noDataState: "OK";
  readonly execErrState: "Error";
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly datas: GrafanaRuleData[];
}

export interface GrafanaRuleArgs {
  /** The uid of the Prometheus-compatible (Mimir) data source. */
  readonly datasourceUid: string;
  readonly links: AlertLinks;
  /** The dashboard panel the rule links to. */
  readonly panelId: number;
}

export function grafanaRule(rule: AlertRule, args: GrafanaRuleArgs): GrafanaRule {
  const expression = (refId: string, model: Record<string, unknown>): GrafanaRuleData => ({
    refId,
    datasourceUid: expressionDatasource,
    relativeTimeRange: { from: 0, to: 0 },
    model: JSON.stringify({ refId, datasource: { type: "__expr__", uid: expressionDatasource }, ...model }),
  });
  return {
    uid: rule.uid,
    name: rule.name,
    for: rule.for,
    condition: "C",
    noDataState: "OK",
    execErrState: "Error",
    labels: alertLabels(rule),
    annotations: {
      ...alertAnnotations(rule, args.links),
      __dashboardUid__: args.links.dashboardUid,
      __panelId__: String(args.panelId),
    },
    datas: [
      {
        refId: "A",
        datasourceUid: args.datasourceUid,
        relativeTimeRange: { from: 900, to: 0 },
        model: JSON.stringify({ refId: "A", expr: rule.expr, instant: true, range: false }),
      },
      expression("B", { type: "reduce", expression: "A", reducer: "last", settings: { mode: "dropNN" } }),
      expression("C", {
        type: "threshold",
        expression: "B",
        conditions: [{ evaluator: { type: "gt", params: [0] } }],
      }),
    ],
  };
}
