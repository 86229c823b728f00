/**
 * What every rule module shares: resource-type stand-ins for `validateResourceOfType`, typed
 * config schemas, and how a rule tells prod from any other stack.
 */
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import type { CustomResource } from "@pulumi/pulumi";

/**
 * A stand-in for a provider's resource class: `validateResourceOfType` and `isType` only read
 * its `__pulumiType`, so the pack need not load @pulumi/aws, @pulumi/kubernetes... (seconds
 * of start-up each) to filter by type. `TProps` types the props the validation receives.
 */
export function resourceType<TProps>(token: string) {
  return { __pulumiType: token } as unknown as new (
    name: string,
    args: TProps,
  ) => CustomResource;
}

/** One property of a rule's config schema (JSON Schema, with the default the engine applies). */
export type ConfigProperty = PolicyConfigSchema["properties"][string];

/** The resources of one type token among a stack's. */
export const ofType = (resources: readonly PolicyResource[], type: string) =>
  resources.filter((r) => r.type === type);

/** The resources a property's value came from (its property dependencies), optionally of one type. */
export function dependenciesOf(resource: PolicyResource, property: string, type?: string): PolicyResource[] {
  return (resource.propertyDependencies[property] ?? []).filter((d) => !type || d.type === type);
}

/** The stack a URN belongs to: `urn:pulumi:<stack>::<project>::...`. */
export const stackOf = (urn: string) => urn.replace(/^urn:pulumi:/, "").split("::")[0] ?? "";

/**
 * How prod is recognised: the stack's name (from the URN, which both the CLI and the offline
 * plan carry) is one of `prodStacks`, or the stack has the tag `environment=prod`
 * (`pulumi stack tag set environment prod`).
 */
export const prodStacksConfig: ConfigProperty = {
  type: "array",
  items: { type: "string" },
  default: ["prod"],
  description: "Stack names held to the production rules (deletion protection).",
};

export function isProd(urn: string, stackTags: ReadonlyMap<string, string>, prodStacks: readonly string[]) {
  return stackTags.get("environment") === "prod" || prodStacks.includes(stackOf(urn));
}

/** `value` as an array (a missing value is empty). */
export const asArray = <T>(value: T | readonly T[] | undefined | null): T[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? [...value] : [value as T];

/** The value at a dotted path inside props (`at(p, "vpcConfig.endpointPublicAccess")`), or undefined. */
export function at(value: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (v, key) => (v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined),
      value,
    );
}
