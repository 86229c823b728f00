/**
 * The platform's telemetry contract: the metric names, units and labels every service
 * exports, and that dashboards, alert rules, autoscalers and rollout analysis query. One
 * file, imported by both sides, so a rename cannot leave an alert watching nothing.
 *
 * Services record through OpenTelemetry; the collector's Prometheus-compatible exporters
 * turn `platform.request.duration` (unit "s") into `platform_request_duration_seconds_*`.
 */

/** Labels on request metrics. `outcome` is "ok" or "error" (a 5xx or a server-side gRPC status). */
export const requestLabels = ["service", "route", "outcome", "zone", "version"] as const;

/**
 * The `zone` label (and `cloud.availability_zone` attribute) a service reports when it is
 * not told its zone (`ZONE` unset, as in a pod: the downward API cannot read node labels).
 * The collector's agent replaces it with the node's zone.
 */
export const unknownZone = "unknown";

/** Histogram bucket bounds in seconds, dense around the 200 ms page threshold. */
export const latencyBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 2.5, 5, 10,
];

export const metricNames = {
  /** Histogram: server-side duration of each request (HTTP at the gateway, gRPC elsewhere). */
  requestDuration: {
    otel: "platform.request.duration",
    prometheus: "platform_request_duration_seconds",
    unit: "s",
  },
  /** Gauge: requests in flight in this pod; KEDA scales on its per-pod average. */
  queueDepth: {
    otel: "platform.request.queue_depth",
    prometheus: "platform_request_queue_depth",
    unit: "{request}",
  },
  /** Gauge: outbox events written but not yet published to Kafka. */
  outboxBacklog: { otel: "platform.outbox.backlog", prometheus: "platform_outbox_backlog", unit: "{event}" },
  /** Gauge: events a consumer group has not yet handled, per topic. */
  consumerLag: { otel: "platform.consumer.lag", prometheus: "platform_consumer_lag", unit: "{event}" },
} as const;

/** The latency objective: p99 of every public service under this, over 5 minutes. */
export const latencyObjective = { p99Seconds: 0.2, forMinutes: 5 } as const;
