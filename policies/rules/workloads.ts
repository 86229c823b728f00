/**
 * What every pod template must say: requests and limits, a hardened security context, no
 * host access, probes, a spread over zones and an image that cannot change under it. Checked
 * on each workload (Deployment, StatefulSet, Argo Rollout, ...) as the engine sees it.
 */
import type {
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
} from "@pulumi/policy";
import {
  allContainers,
  describeObject,
  isKubernetesObject,
  type K8sObject,
  type PodTemplate,
  podTemplateOf,
  servingKinds,
} from "../lib/kubernetes.js";

/** A validation of the pod template of each workload of `kinds`. */
function validatePods(
  kinds: readonly string[] | "all",
  check: (pod: PodTemplate, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
  return (args, report) => {
    const object = args.props as K8sObject;
    const template = isKubernetesObject(args.type) ? podTemplateOf(object) : undefined;
    if (!template || (kinds !== "all" && !kinds.includes(object.kind!))) {
      return args.notApplicable("not a workload with a pod template");
    }
    check(template, args, (message) => report(`${describeObject(object)}: ${message}`));
  };
}

export const workloadResources: ResourceValidationPolicy = {
  name: "workload-resources",
  description: "Every container declares CPU and memory requests and limits.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      requests: { type: "array", items: { type: "string" }, default: ["cpu", "memory"] },
      limits: { type: "array", items: { type: "string" }, default: ["cpu", "memory"] },
    },
  },
  validateResource: validatePods("all", (pod, args, report) => {
    const { requests, limits } = args.getConfig<{ requests: string[]; limits: string[] }>();
    for (const c of allContainers(pod.spec ?? {})) {
      const missing = [
        ...requests.filter((r) => !c.resources?.requests?.[r]).map((r) => `requests.${r}`),
        ...limits.filter((l) => !c.resources?.limits?.[l]).map((l) => `limits.${l}`),
      ];
      if (missing.length > 0) report(`container ${c.name} has no ${missing.join(", ")}`);
    }
  }),
};

export const workloadSecurityContext: ResourceValidationPolicy = {
  name: "workload-security-context",
  description:
    "Every container runs as non-root on a read-only root filesystem, unprivileged, without privilege escalation, with all capabilities dropped.",
  enforcementLevel: "mandatory",
  validateResource: validatePods("all", (pod, _args, report) => {
    const podContext = pod.spec?.securityContext ?? {};
    for (const c of allContainers(pod.spec ?? {})) {
      const s = c.securityContext ?? {};
      const problems = [
        ...((s.runAsNonRoot ?? podContext.runAsNonRoot) === true ? [] : ["runAsNonRoot is not true"]),
        ...((s.runAsUser ?? podContext.runAsUser) === 0 ? ["runAsUser is 0"] : []),
        ...(s.readOnlyRootFilesystem === true ? [] : ["readOnlyRootFilesystem is not true"]),
        ...(s.privileged === true ? ["privileged"] : []),
        ...(s.allowPrivilegeEscalation === false ? [] : ["allowPrivilegeEscalation is not false"]),
        ...(s.capabilities?.drop?.includes("ALL") ? [] : ["capabilities.drop lacks ALL"]),
        ...((s.capabilities?.add ?? []).length > 0
          ? [`adds capabilities ${s.capabilities?.add?.join(", ")}`]
          : []),
      ];
      if (problems.length > 0) report(`container ${c.name}: ${problems.join("; ")}`);
    }
  }),
};

export const workloadHostIsolation: ResourceValidationPolicy = {
  name: "workload-host-isolation",
  description: "No pod shares the node's network, process or IPC namespaces, or mounts a hostPath.",
  enforcementLevel: "mandatory",
  validateResource: validatePods("all", (pod, _args, report) => {
    const spec = pod.spec ?? {};
    for (const key of ["hostNetwork", "hostPID", "hostIPC"] as const)
      if (spec[key] === true) report(`${key} is true`);
    for (const volume of spec.volumes ?? [])
      if (volume.hostPath) report(`volume ${volume.name} is a hostPath`);
  }),
};

export const workloadProbes: ResourceValidationPolicy = {
  name: "workload-probes",
  description: "Every serving container has a readiness and a liveness probe.",
  enforcementLevel: "mandatory",
  validateResource: validatePods([...servingKinds, "DaemonSet", "Pod"], (pod, _args, report) => {
    for (const c of pod.spec?.containers ?? []) {
      const missing = [
        ...(c.readinessProbe ? [] : ["readinessProbe"]),
        ...(c.livenessProbe ? [] : ["livenessProbe"]),
      ];
      if (missing.length > 0) report(`container ${c.name} has no ${missing.join(" or ")}`);
    }
  }),
};

export const workloadZoneSpread: ResourceValidationPolicy = {
  name: "workload-zone-spread",
  description: "Replicated workloads spread their pods evenly over the zones.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      topologyKey: { type: "string", default: "topology.kubernetes.io/zone" },
      maxSkew: { type: "integer", minimum: 1, default: 1 },
    },
  },
  validateResource: validatePods(servingKinds, (pod, args, report) => {
    const { topologyKey, maxSkew } = args.getConfig<{ topologyKey: string; maxSkew: number }>();
    const byZone = (pod.spec?.topologySpreadConstraints ?? []).filter((t) => t.topologyKey === topologyKey);
    if (byZone.length === 0) report(`no topologySpreadConstraint on ${topologyKey}`);
    for (const t of byZone)
      if ((t.maxSkew ?? 1) > maxSkew) report(`maxSkew ${t.maxSkew} over zones; at most ${maxSkew}`);
  }),
};

/** Why an image reference can change under a running workload, or undefined when it cannot. */
export function mutableImage(
  image: string,
  mutableTags: readonly string[],
  immutableTag: RegExp,
): string | undefined {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const lastPart = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastPart.includes(":") ? lastPart.slice(lastPart.indexOf(":") + 1) : undefined;
  if (!tag) return "has no tag, which means latest";
  if (mutableTags.includes(tag)) return `uses the moving tag "${tag}"`;
  if (!immutableTag.test(tag))
    return `tag "${tag}" is neither a digest nor an immutable version or commit tag`;
  return undefined;
}

export const workloadImagePinned: ResourceValidationPolicy = {
  name: "workload-image-pinned",
  description: "Images are pinned by digest or an immutable version/commit tag, never latest.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      mutableTags: {
        type: "array",
        items: { type: "string" },
        default: ["latest", "main", "master", "stable", "edge", "dev", "nightly"],
      },
      immutableTagPattern: {
        type: "string",
        default: "^(v?\\d+\\.\\d+\\.\\d+([-+][0-9A-Za-z.-]+)?|[0-9a-f]{7,40}|sha-[0-9a-f]{7,40})$",
        description: "Tags trusted to never move: semantic versions and commit hashes.",
      },
    },
  },
  validateResource: validatePods("all", (pod, args, report) => {
    const { mutableTags, immutableTagPattern } = args.getConfig<{
      mutableTags: string[];
      immutableTagPattern: string;
    }>();
    for (const c of allContainers(pod.spec ?? {})) {
      const why = mutableImage(c.image ?? "", mutableTags, new RegExp(immutableTagPattern));
      if (why) report(`container ${c.name} image ${c.image ?? "(none)"} ${why}`);
    }
  }),
};

export const workloadPolicies = [
  workloadResources,
  workloadSecurityContext,
  workloadHostIsolation,
  workloadProbes,
  workloadZoneSpread,
  workloadImagePinned,
];
