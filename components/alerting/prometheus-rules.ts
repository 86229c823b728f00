/**
 * The alerts, plus the rollout analysis and autoscaling queries of the Microservice
 * component, as a Prometheus rules file: the form `promtool test rules` checks. It is
 * generated from the same functions that build Grafana's rules and the AnalysisTemplates.
 */
import { stringify } from "yaml";
import {
  consumerLagQuery,
  p99LatencyQuery,
  queueDepthQuery,
  successRateQuery,
} from "../microservice/analysis-queries.js";
import { type AlertLinks, type AlertRule, alertAnnotations, alertLabels } from "./alert-rules.js";

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels: Record<string, string>;
}
export interface RuleFile {
  readonly groups: readonly {
    readonly name: string;
    readonly rules: readonly (AlertingRule | RecordingRule)[];
  }[];
}

/** Names of the series that record the Microservice component's queries, per service. */
export const analysisRecords = {
  successRate: "platform:rollout_success_rate:ratio",
  p99Latency: "platform:rollout_p99_latency:seconds",
  queueDepth: "platform:autoscaling_queue_depth:sum",
  consumerLag: "platform:autoscaling_consumer_lag:sum",
} as const;

/** Alerting rules named by the alert's uid (unique per service and kind). */
export function alertingRule(rule: AlertRule, links: AlertLinks): AlertingRule {
  return {
    alert: rule.uid,
    expr: rule.expr,
    for: rule.for,
    labels: alertLabels(rule),
    annotations: alertAnnotations(rule, links),
  };
}

/** The rollout analysis (per service, all revisions) and KEDA queries as recording rules. */
export function analysisRules(services: readonly string[]): RecordingRule[] {
  return services.flatMap((service) => [
    { record: analysisRecords.successRate, expr: successRateQuery({ service }), labels: { service } },
    { record: analysisRecords.p99Latency, expr: p99LatencyQuery({ service }), labels: { service } },
    { record: analysisRecords.queueDepth, expr: queueDepthQuery(service), labels: { service } },
    { record: analysisRecords.consumerLag, expr: consumerLagQuery(service), labels: { service } },
  ]);
}

export function ruleFile(
  rules: readonly AlertRule[],
  links: AlertLinks,
  services: readonly string[],
): RuleFile {
  return {
    groups: [
      { name: "platform-alerts", rules: rules.map((rule) => alertingRule(rule, links)) },
      { name: "rollout-analysis", rules: analysisRules(services) },
    ],
  };
}

export const renderRuleFile = (file: RuleFile) => stringify(file, { lineWidth: 0 });
