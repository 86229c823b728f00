/**
 * How an alert reaches a person, as pure decisions: the on-call rotation, the escalation
 * from the rotation to the escalation contacts, how PagerDuty ranks an incident, and how
 * Grafana routes notifications.
 */

/** A PagerDuty escalation target: the rotation first, then named people. */
export interface EscalationRule {
  readonly escalationDelayInMinutes: number;
  readonly targets: { readonly type: "schedule_reference" | "user_reference"; readonly id: string }[];
}

/** Minutes an unacknowledged incident waits before it escalates to the next level. */
export const escalationDelayMinutes = 15;

/** Level 1 pages whoever is on call; level 2 (if configured) pages the escalation contacts. */
export function escalationRules(scheduleId: string, escalationUserIds: readonly string[]): EscalationRule[] {
  const rules: EscalationRule[] = [
    {
      escalationDelayInMinutes: escalationDelayMinutes,
      targets: [{ type: "schedule_reference", id: scheduleId }],
    },
  ];
  if (escalationUserIds.length > 0)
    rules.push({
      escalationDelayInMinutes: escalationDelayMinutes,
      targets: escalationUserIds.map((id) => ({ type: "user_reference", id })),
    });
  return rules;
}

export interface RotationArgs {
  /** PagerDuty user ids, in rotation order. */
  readonly userIds: readonly string[];
  /** When the rotation starts, ISO 8601 (e.g. "2026-01-05T09:00:00Z"); hand-offs happen at that time of day. */
  readonly start: string;
  /** Days each person is on call. */
  readonly handoffDays: number;
}

/** One layer: each person on call for `handoffDays`, around the clock. */
export function rotationLayer(args: RotationArgs) {
  if (args.userIds.length === 0) throw new Error("an on-call rotation needs at least one person");
  return {
    name: "primary",
    start: args.start,
    rotationVirtualStart: args.start,
    rotationTurnLengthSeconds: args.handoffDays * 24 * 60 * 60,
    users: [...args.userIds],
  };
}

/**
 * PagerDuty ranks incidents by the event's severity ("dynamic notifications"): critical
 * pages at once and follows the escalation policy, warning opens a low-urgency incident.
 */
export const incidentUrgencyRule = { type: "constant", urgency: "severity_based" } as const;

/** What Grafana puts into each PagerDuty event: severity and service come from the alert's labels. */
export const pagerDutyEvent = {
  severity: "{{ .CommonLabels.severity }}",
  component: "{{ .CommonLabels.service }}",
  group: "platform",
  class: "{{ .CommonLabels.alertname }}",
  summary: "{{ .CommonAnnotations.summary }}",
} as const;

/** Alerts are grouped per rule and service: one page per broken thing, not per pod. */
export const groupBy = ["grafana_folder", "alertname", "service"];

/**
 * Routing: critical alerts go to PagerDuty quickly and repeat hourly; the rest (warnings)
 * go to PagerDuty too, batched, as low-urgency incidents.
 */
export function notificationRoutes(contactPoint: string) {
  return {
    root: { contactPoint, groupBies: groupBy, groupWait: "2m", groupInterval: "10m", repeatInterval: "12h" },
    critical: {
      matchers: [{ label: "severity", match: "=", value: "critical" }],
      contactPoint,
      groupBies: groupBy,
      groupWait: "30s",
      groupInterval: "5m",
      repeatInterval: "1h",
      continue: false,
    },
  };
}
