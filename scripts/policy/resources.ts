/**
 * The plan's resources as CrossGuard hands them to policies: `ResourceValidationArgs` for
 * each resource (type, inputs as props, urn, name, options), and `PolicyResource`s for stack
 * validations with parent, dependencies and property dependencies resolved to objects.
 * `isType`/`asType` behave as in @pulumi/policy's server: by the class's `__pulumiType`.
 */
import type { PolicyResource, PolicyResourceOptions, ResourceValidationArgs } from "@pulumi/policy";
import type { Resource } from "@pulumi/pulumi";
import { unknownCheckingProxy } from "../../policies/lib/preview-values.js";
import type { PlannedResource } from "../plan/plan-types.js";

/** Thrown by `notApplicable()`; the runner records it and moves on, as the server does. */
export class NotApplicable extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}
export const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

type ResourceClass = { new (...rest: never[]): Resource } & { __pulumiType?: unknown; isInstance?: unknown };

/** The server's `isTypeOf`: the class's Pulumi type token, else its `isInstance`. */
export function isTypeOf(type: string, resourceClass: ResourceClass): boolean {
  const token = resourceClass.__pulumiType;
  if (typeof token === "string" && token.length > 0) return type === token;
  const isInstance = resourceClass.isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/** The options a plan can tell: the parent. Protect, ignoreChanges... are not recorded offline. */
export const optionsOf = (r: PlannedResource): PolicyResourceOptions => ({
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
  ...(r.parent ? { parent: r.parent } : {}),
});

interface Context {
  readonly stackTags: ReadonlyMap<string, string>;
  readonly getConfig: () => Record<string, unknown>;
}

export function resourceArgs(r: PlannedResource, context: Context): ResourceValidationArgs {
  const props = unknownCheckingProxy(structuredClone(r.inputs)) as Record<string, unknown>;
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: optionsOf(r),
    stackTags: context.stackTags,
    isType: (resourceClass) => isTypeOf(r.type, resourceClass as ResourceClass),
    asType: ((resourceClass: ResourceClass) =>
      isTypeOf(r.type, resourceClass) ? props : undefined) as never,
    getConfig: <T extends object>() => context.getConfig() as T,
    notApplicable,
  };
}

/** Every resource of the plan as a `PolicyResource`, linked as the server links them. */
export function policyResources(resources: readonly PlannedResource[]): PolicyResource[] {
  const linked = resources.map((r) => {
    const props = unknownCheckingProxy(structuredClone(r.inputs)) as Record<string, unknown>;
    const resource: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(r.type, resourceClass as ResourceClass),
      asType: ((resourceClass: ResourceClass) =>
        isTypeOf(r.type, resourceClass) ? props : undefined) as never,
    };
    return { planned: r, resource };
  });
  const byUrn = new Map(linked.map(({ resource }) => [resource.urn, resource]));
  const resolve = (urns: readonly string[]) => urns.flatMap((u) => byUrn.get(u) ?? []);
  for (const { planned, resource } of linked) {
    const parent = planned.parent ? byUrn.get(planned.parent) : undefined;
    if (parent) resource.parent = parent;
    resource.dependencies = resolve([...new Set(Object.values(planned.dependencies).flat())]);
    for (const [property, urns] of Object.entries(planned.dependencies)) {
      resource.propertyDependencies[property] = resolve(urns);
    }
  }
  return linked.map(({ resource }) => resource);
}
