/**
 * Kubernetes objects as the plan and the engine see them (inputs: apiVersion, kind,
 * metadata, spec), and the pod templates inside workloads, Argo Rollouts included.
 */
import type { PolicyResource } from "@pulumi/policy";

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
}
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: Record<string, unknown>;
}
export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}
export interface Container {
  name?: string;
  image?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}
export interface TopologySpreadConstraint {
  topologyKey?: string;
  maxSkew?: number;
  whenUnsatisfiable?: string;
}
export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: { name?: string; hostPath?: unknown }[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
}
export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kinds whose spec carries a pod template (Rollout: Argo Rollouts). */
export const workloadKinds = [
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "CronJob",
  "Pod",
  "Rollout",
];
/** Long-running, replicated workloads: spread, disruption budgets, autoscaling, rollouts. */
export const servingKinds = ["Deployment", "StatefulSet", "Rollout"];

/** A Kubernetes object declared directly (not a Helm release or the provider). */
export const isKubernetesObject = (type: string) =>
  type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm.sh/");

export function podTemplateOf(object: K8sObject): PodTemplate | undefined {
  if (!object.kind || !workloadKinds.includes(object.kind)) return undefined;
  if (object.kind === "Pod") return { metadata: object.metadata, spec: object.spec as PodSpec };
  const spec = object.spec ?? {};
  if (object.kind === "CronJob") {
    const job = spec["jobTemplate"] as { spec?: { template?: PodTemplate } } | undefined;
    return job?.spec?.template;
  }
  return spec["template"] as PodTemplate | undefined;
}

export const allContainers = (pod: PodSpec) => [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
export const namespaceOf = (object: K8sObject) => object.metadata?.namespace ?? "default";
export const describeObject = (object: K8sObject) => `${object.kind} ${object.metadata?.name ?? "(unnamed)"}`;

/** Does `selector` select pods labelled `labels` (matchLabels and the set-based operators). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === "In") return value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === "NotIn") return value === undefined || !(e.values ?? []).includes(value);
    if (e.operator === "Exists") return value !== undefined;
    return value === undefined;
  });
  return byLabel && byExpression;
}

/** A replicated workload of the stack, with the pod template it runs (a Rollout's workloadRef resolved). */
export interface Workload {
  readonly resource: PolicyResource;
  readonly object: K8sObject;
  readonly template: PodTemplate | undefined;
}

/** Every serving workload; a Deployment a Rollout takes over through `workloadRef` counts as the Rollout. */
export function servingWorkloads(resources: readonly PolicyResource[]): Workload[] {
  const objects = resources
    .filter((r) => isKubernetesObject(r.type))
    .map((resource) => ({ resource, object: resource.props as K8sObject }))
    .filter(({ object }) => object.kind && servingKinds.includes(object.kind));
  const referenced = (rollout: K8sObject) =>
    rollout.spec?.["workloadRef"] as { kind?: string; name?: string } | undefined;
  const deployments = objects.filter(({ object }) => object.kind === "Deployment");
  const takenOver = new Set(
    objects
      .filter(({ object }) => object.kind === "Rollout" && referenced(object))
      .flatMap(({ object }) =>
        deployments.filter(
          (d) =>
            d.object.metadata?.name === referenced(object)?.name &&
            namespaceOf(d.object) === namespaceOf(object),
        ),
      )
      .map((d) => d.resource.urn),
  );
  return objects
    .filter(({ resource }) => !takenOver.has(resource.urn))
    .map(({ resource, object }) => {
      const ref = object.kind === "Rollout" ? referenced(object) : undefined;
      const source = ref
        ? deployments.find(
            (d) => d.object.metadata?.name === ref.name && namespaceOf(d.object) === namespaceOf(object),
          )?.object
        : object;
      return { resource, object, template: source && podTemplateOf(source) };
    });
}
