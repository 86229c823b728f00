/**
 * How a service's new revision reaches users, decided from its registry entry alone:
 * the Argo Rollouts strategy (canary steps or blue-green), the Services it manages and the
 * analysis that gates each step. Pure, so it is tested without mocks.
 * See https://argoproj.github.io/argo-rollouts/features/canary/ and .../bluegreen/
 */
import type { ServiceSpec } from "../../contracts/service-spec.js";

/** The Kubernetes Services of one workload. */
export interface WorkloadServiceNames {
  /** What callers dial (`<service>`): every pod for a canary, the active revision for blue-green. */
  readonly main: string;
  /** Canary: the new revision only (`<service>-canary`). */
  readonly canary: string;
  /** Canary: the stable revision only (`<service>-stable`). */
  readonly stable: string;
  /** Blue-green: the revision waiting for promotion (`<service>-preview`). */
  readonly preview: string;
}

export function workloadServiceNames(service: string): WorkloadServiceNames {
  return {
    main: service,
    canary: `${service}-canary`,
    stable: `${service}-stable`,
    preview: `${service}-preview`,
  };
}

/** The Services a strategy needs besides `main`, which always exists. */
export function managedServiceNames(spec: Pick<ServiceSpec, "name" | "rollout">): string[] {
  const names = workloadServiceNames(spec.name);
  return spec.rollout.strategy === "canary" ? [names.canary, names.stable] : [names.preview];
}

/** The arguments every analysis run gets: the service and the revision under test. */
export function analysisArgs(service: string) {
  return [
    { name: "service", value: service },
    { name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } },
  ];
}

/** An analysis referencing the service's AnalysisTemplate. */
export function analysisRef(service: string, templateName: string) {
  return { templates: [{ templateName }], args: analysisArgs(service) };
}

/**
 * Canary steps: for each weight, shift it, hold for `pause`, then run the analysis; after
 * the last step the revision takes 100%. A failed analysis aborts the rollout, which
 * scales the canary away and leaves the stable revision serving (automatic rollback).
 */
export function canarySteps(
  weights: readonly number[],
  pause: string,
  service: string,
  templateName: string,
) {
  return weights.flatMap((weight) => [
    { setWeight: weight },
    { pause: { duration: pause } },
    { analysis: analysisRef(service, templateName) },
  ]);
}

/** The Rollout's `spec.strategy` for a service. */
export function rolloutStrategy(spec: Pick<ServiceSpec, "name" | "rollout">, templateName: string) {
  const names = workloadServiceNames(spec.name);
  if (spec.rollout.strategy === "canary") {
    return {
      canary: {
        canaryService: names.canary,
        stableService: names.stable,
        // Never fewer ready pods than wanted while the canary is added.
        maxSurge: "25%",
        maxUnavailable: 0,
        steps: canarySteps(spec.rollout.weights, spec.rollout.pause, spec.name, templateName),
      },
    };
  }
  return {
    blueGreen: {
      activeService: names.main,
      previewService: names.preview,
      autoPromotionEnabled: spec.rollout.autoPromote,
      prePromotionAnalysis: analysisRef(spec.name, templateName),
      // The old revision stays up a little after the switch, for clients still connected to it.
      scaleDownDelaySeconds: 60,
    },
  };
}
