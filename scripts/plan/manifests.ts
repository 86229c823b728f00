import { stringify } from "yaml";
import type { Plan } from "./plan-types.js";

export interface ManifestFile {
  readonly path: string;
  readonly yaml: string;
}

/** Resources that are Kubernetes objects; Helm releases and providers are not manifests. */
function isKubernetesObject(type: string): boolean {
  return type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm.sh/");
}

/**
 * Every Kubernetes object in the plan as a YAML manifest (secrets stay masked), one file
 * per object under `<namespace>/<kind>-<name>.yaml` (`_cluster/` for cluster-scoped ones).
 */
export function manifestsOf(plan: Plan): ManifestFile[] {
  return plan.resources
    .filter((r) => isKubernetesObject(r.type))
    .map((r) => {
      const metadata = { ...((r.inputs["metadata"] as Record<string, unknown>) ?? {}) };
      metadata["name"] ??= r.name;
      const manifest = { ...r.inputs, metadata };
      const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "_cluster";
      const kind = String(r.inputs["kind"] ?? r.type.split(":").pop()).toLowerCase();
      return {
        path: `${namespace}/${kind}-${String(metadata["name"])}.yaml`,
        yaml: stringify(manifest, { sortMapEntries: true }),
      };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}
