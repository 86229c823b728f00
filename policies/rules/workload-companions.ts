/**
 * What must accompany each replicated workload: a PodDisruptionBudget, exactly one autoscaler
 * within bounds, delivery through an analysis-gated Argo Rollout, and a default-deny
 * NetworkPolicy in its namespace. Stack validations: they relate objects to each other.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
  describeObject,
  isKubernetesObject,
  type K8sObject,
  type LabelSelector,
  namespaceOf,
  selects,
  servingWorkloads,
  type Workload,
} from "../lib/kubernetes.js";

const objectsOfKind = (resources: readonly PolicyResource[], ...kinds: string[]) =>
  resources
    .filter((r) => isKubernetesObject(r.type))
    .map((resource) => ({ resource, object: resource.props as K8sObject }))
    .filter(({ object }) => object.kind && kinds.includes(object.kind));

const podLabels = (w: Workload) => w.template?.metadata?.labels ?? {};

export const workloadDisruptionBudget: StackValidationPolicy = {
  name: "workload-disruption-budget",
  description: "Every replicated workload has a PodDisruptionBudget that still lets nodes drain.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const workloads = servingWorkloads(args.resources);
    if (workloads.length === 0) args.notApplicable("no replicated workloads");
    const budgets = objectsOfKind(args.resources, "PodDisruptionBudget");
    for (const w of workloads) {
      const mine = budgets.filter(
        ({ object }) =>
          namespaceOf(object) === namespaceOf(w.object) &&
          selects(object.spec?.["selector"] as LabelSelector, podLabels(w)),
      );
      if (mine.length === 0) report(`${describeObject(w.object)} has no PodDisruptionBudget`, w.resource.urn);
      for (const { object, resource } of mine) {
        const spec = object.spec ?? {};
        if (
          String(spec["maxUnavailable"]) === "0" ||
          String(spec["maxUnavailable"]) === "0%" ||
          spec["minAvailable"] === "100%"
        ) {
          report(`${describeObject(object)} allows no disruption, so nodes can never drain`, resource.urn);
        }
      }
    }
  },
};

interface ScaleTarget {
  apiVersion?: string;
  kind?: string;
  name?: string;
}

/** Replica bounds an autoscaler gives, with each API's defaults when left out. */
function boundsOf(object: K8sObject): { min: number; max: number; target: ScaleTarget } {
  const spec = object.spec ?? {};
  const target = (spec["scaleTargetRef"] ?? {}) as ScaleTarget;
  if (object.kind === "ScaledObject") {
    return {
      min: Number(spec["minReplicaCount"] ?? 0),
      max: Number(spec["maxReplicaCount"] ?? 100),
      target: { ...target, kind: target.kind ?? "Deployment" },
    };
  }
  return { min: Number(spec["minReplicas"] ?? 1), max: Number(spec["maxReplicas"] ?? Infinity), target };
}

export const workloadAutoscaler: StackValidationPolicy = {
  name: "workload-autoscaler",
  description:
    "Every replicated workload has exactly one autoscaler (HPA or KEDA ScaledObject) keeping 2 to 20 replicas.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minReplicas: {
        type: "integer",
        minimum: 1,
        default: 2,
        description: "The fewest replicas an autoscaler may keep.",
      },
      maxReplicas: {
        type: "integer",
        minimum: 1,
        default: 20,
        description: "The most replicas an autoscaler may add.",
      },
    },
  },
  validateStack: (args, report) => {
    const { minReplicas, maxReplicas } = args.getConfig<{ minReplicas: number; maxReplicas: number }>();
    const workloads = servingWorkloads(args.resources);
    if (workloads.length === 0) args.notApplicable("no replicated workloads");
    const scalers = objectsOfKind(args.resources, "HorizontalPodAutoscaler", "ScaledObject");
    for (const w of workloads) {
      const mine = scalers.filter(({ object }) => {
        const { target } = boundsOf(object);
        return (
          namespaceOf(object) === namespaceOf(w.object) &&
          target.kind === w.object.kind &&
          target.name === w.object.metadata?.name
        );
      });
      if (mine.length !== 1) {
        report(
          `${describeObject(w.object)} has ${mine.length} autoscalers; expected exactly one`,
          w.resource.urn,
        );
      }
      for (const { object, resource } of mine) {
        const { min, max } = boundsOf(object);
        if (min < minReplicas)
          report(`${describeObject(object)} may scale down to ${min}; at least ${minReplicas}`, resource.urn);
        if (max > maxReplicas)
          report(`${describeObject(object)} may scale up to ${max}; at most ${maxReplicas}`, resource.urn);
        if (min > max) report(`${describeObject(object)} has min ${min} above max ${max}`, resource.urn);
      }
    }
  },
};

interface AnalysisRef {
  templateName?: string;
  clusterScope?: boolean;
}
interface CanaryStep {
  setWeight?: number;
  analysis?: { templates?: AnalysisRef[] };
}

/** What keeps a Rollout from promoting bad code unattended, or why nothing does. */
function gating(rollout: K8sObject): { problems: string[]; templates: AnalysisRef[] } {
  const strategy = (rollout.spec?.["strategy"] ?? {}) as {
    canary?: { steps?: CanaryStep[]; analysis?: { templates?: AnalysisRef[] } };
    blueGreen?: { prePromotionAnalysis?: { templates?: AnalysisRef[] } };
  };
  if (strategy.blueGreen) {
    const templates = strategy.blueGreen.prePromotionAnalysis?.templates ?? [];
    return { templates, problems: templates.length ? [] : ["blue-green without prePromotionAnalysis"] };
  }
  if (!strategy.canary) return { templates: [], problems: ["neither a canary nor a blue-green strategy"] };
  const steps = strategy.canary.steps ?? [];
  const background = strategy.canary.analysis?.templates ?? [];
  const templates = [...background, ...steps.flatMap((s) => s.analysis?.templates ?? [])];
  const weights = steps.flatMap((s, i) => (s.setWeight !== undefined ? [i] : []));
  const problems = weights.length === 0 ? ["canary without setWeight steps"] : [];
  if (background.length === 0) {
    weights.forEach((at, n) => {
      const next = weights[n + 1] ?? steps.length;
      if (!steps.slice(at + 1, next).some((s) => (s.analysis?.templates ?? []).length > 0)) {
        problems.push(`canary step setWeight ${steps[at]?.setWeight} is not followed by an analysis step`);
      }
    });
  }
  return { templates, problems };
}

export const workloadProgressiveDelivery: StackValidationPolicy = {
  name: "workload-progressive-delivery",
  description:
    "Services ship through Argo Rollouts: canary steps each gated by analysis, or blue-green with pre-promotion analysis, against AnalysisTemplates that exist.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const workloads = servingWorkloads(args.resources);
    if (workloads.length === 0) args.notApplicable("no replicated workloads");
    const templates = objectsOfKind(args.resources, "AnalysisTemplate", "ClusterAnalysisTemplate").map(
      (t) => t.object,
    );
    for (const w of workloads) {
      if (w.object.kind === "Deployment") {
        report(
          `${describeObject(w.object)} rolls out unguarded; serve it through an Argo Rollout`,
          w.resource.urn,
        );
      }
      if (w.object.kind !== "Rollout") continue;
      const gate = gating(w.object);
      for (const problem of gate.problems) report(`${describeObject(w.object)}: ${problem}`, w.resource.urn);
      for (const ref of gate.templates) {
        const found = templates.some(
          (t) =>
            t.metadata?.name === ref.templateName &&
            (ref.clusterScope
              ? t.kind === "ClusterAnalysisTemplate"
              : namespaceOf(t) === namespaceOf(w.object)),
        );
        if (!found)
          report(
            `${describeObject(w.object)} runs AnalysisTemplate ${ref.templateName}, which is not declared`,
            w.resource.urn,
          );
      }
    }
  },
};

interface NetworkPolicySpec {
  podSelector?: LabelSelector;
  policyTypes?: string[];
  ingress?: unknown[];
  egress?: unknown[];
}

const isDefaultDeny = (object: K8sObject) => {
  const spec = (object.spec ?? {}) as NetworkPolicySpec;
  const everyPod =
    Object.keys(spec.podSelector?.matchLabels ?? {}).length === 0 &&
    (spec.podSelector?.matchExpressions ?? []).length === 0;
  const types = spec.policyTypes ?? [];
  return (
    everyPod &&
    types.includes("Ingress") &&
    types.includes("Egress") &&
    !spec.ingress?.length &&
    !spec.egress?.length
  );
};

export const workloadDefaultDeny: StackValidationPolicy = {
  name: "workload-default-deny",
  description: "Every namespace with workloads has a default-deny NetworkPolicy for ingress and egress.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const workloads = servingWorkloads(args.resources);
    if (workloads.length === 0) args.notApplicable("no replicated workloads");
    const policies = objectsOfKind(args.resources, "NetworkPolicy").map((p) => p.object);
    for (const namespace of new Set(workloads.map((w) => namespaceOf(w.object)))) {
      if (!policies.some((p) => namespaceOf(p) === namespace && isDefaultDeny(p))) {
        report(
          `namespace ${namespace} runs workloads without a default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)`,
        );
      }
    }
  },
};

export const workloadCompanionPolicies = [
  workloadDisruptionBudget,
  workloadAutoscaler,
  workloadProgressiveDelivery,
  workloadDefaultDeny,
];
