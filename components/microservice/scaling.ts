/**
 * The one autoscaler of a workload: a KEDA ScaledObject on the Rollout (KEDA owns the HPA
 * it creates; nothing else scales the Rollout, which therefore has no `replicas`).
 * See https://keda.sh/docs/latest/reference/scaledobject-spec/
 */
import type { RegisteredService } from "../../services/registry.js";
import { consumerLagQuery, queueDepthQuery } from "./analysis-queries.js";

export interface ScalingOptions {
  /** The Rollout to scale. */
  readonly rolloutName: string;
  /** A Prometheus-compatible query endpoint. */
  readonly prometheusAddress: string;
  /** Unhandled events per pod that add a consumer pod. */
  readonly consumerLagPerPod: number;
}

/** The ScaledObject's triggers: CPU and queue depth for every service, consumer lag for consumers. */
export function scalingTriggers(service: RegisteredService, options: ScalingOptions) {
  const prometheus = (name: string, query: string, threshold: number) => ({
    type: "prometheus",
    name,
    metricType: "AverageValue",
    metadata: { serverAddress: options.prometheusAddress, query, threshold: String(threshold) },
  });
  return [
    {
      type: "cpu",
      name: "cpu",
      metricType: "Utilization",
      metadata: { value: String(service.scaling.cpuUtilization) },
    },
    prometheus("queue-depth", queueDepthQuery(service.name), service.scaling.queueDepthPerPod),
    ...(service.consumedTopics.length > 0
      ? [prometheus("consumer-lag", consumerLagQuery(service.name), options.consumerLagPerPod)]
      : []),
  ];
}

/** The ScaledObject's `spec`. */
export function scaledObjectSpec(service: RegisteredService, options: ScalingOptions) {
  return {
    scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: options.rolloutName },
    minReplicaCount: service.scaling.min,
    maxReplicaCount: service.scaling.max,
    pollingInterval: 15,
    cooldownPeriod: 300,
    advanced: {
      horizontalPodAutoscalerConfig: {
        behavior: {
          // Grow fast, shrink one pod a minute after five calm minutes: no flapping.
          scaleUp: {
            stabilizationWindowSeconds: 0,
            policies: [{ type: "Percent", value: 100, periodSeconds: 30 }],
          },
          scaleDown: {
            stabilizationWindowSeconds: 300,
            policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
          },
        },
      },
    },
    triggers: scalingTriggers(service, options),
  };
}
