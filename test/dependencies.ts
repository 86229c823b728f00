import type * as pulumi from "@pulumi/pulumi";

/**
 * Records what each child of a component was told to wait for (`dependsOn`), by child
 * name: the engine orders creation by it, and the plan does not show it. Pass
 * `transformation` in the component's options; name resources made outside with `label`.
 */
export function dependencyRecorder() {
  const names = new Map<pulumi.Resource, string>();
  const waits = new Map<string, string[]>();
  const transformation: pulumi.ResourceTransformation = ({ resource, name, opts }) => {
    names.set(resource, name);
    const on = opts.dependsOn as pulumi.Resource | pulumi.Resource[] | undefined;
    waits.set(
      name,
      (on === undefined ? [] : Array.isArray(on) ? on : [on]).map((r) => names.get(r) ?? "?"),
    );
    return undefined;
  };
  return {
    transformation,
    /** Names a resource created outside the component, e.g. a stand-in controller. */
    label: (resource: pulumi.Resource, name: string) => names.set(resource, name),
    /** The names of what the child `name` waits for. */
    waitsFor: (name: string) => waits.get(name),
  };
}
