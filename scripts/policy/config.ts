/**
 * The policy config the Pulumi CLI hands each policy: every default from the policy's
 * `configSchema`, then the pack-wide `all` level and each policy's entry from a
 * `--policy-pack-config` file, validated against the schema.
 */
import type { EnforcementLevel, Policies, PolicyConfigSchema, PolicyPackConfig } from "@pulumi/policy";

export interface ResolvedConfig {
  readonly enforcementLevel: EnforcementLevel;
  readonly properties: Record<string, unknown>;
}

/** A config that the CLI would refuse: unknown policies or properties, values outside the schema. */
export class PolicyConfigError extends Error {}

const levels: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
type Schema = PolicyConfigSchema["properties"][string];

function typeProblem(value: unknown, schema: Schema): string | undefined {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const actual = Array.isArray(value)
    ? "array"
    : value === null
      ? "null"
      : Number.isInteger(value)
        ? "integer"
        : typeof value;
  const fits =
    types.length === 0 || types.some((t) => t === actual || (t === "number" && actual === "integer"));
  if (!fits) return `expected ${types.join(" or ")}, got ${JSON.stringify(value)}`;
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    return `expected one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`;
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return `must be >= ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `must be <= ${schema.maximum}`;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      return `must be > ${schema.exclusiveMinimum}`;
  }
  if (typeof value === "string" && schema.pattern && !new RegExp(schema.pattern).test(value)) {
    return `must match ${schema.pattern}`;
  }
  if (
    Array.isArray(value) &&
    schema.items &&
    typeof schema.items === "object" &&
    !Array.isArray(schema.items)
  ) {
    const items = schema.items;
    return value.map((v, i) => typeProblem(v, items) && `[${i}] ${typeProblem(v, items)}`).find(Boolean);
  }
  return undefined;
}

/** Reconciles defaults, the pack-wide and per-policy config, as the engine does before `Configure`. */
export function reconcileConfig(
  policies: Policies,
  packLevel: EnforcementLevel,
  given: PolicyPackConfig = {},
): Map<string, ResolvedConfig> {
  const problems: string[] = [];
  const names = new Set(policies.map((p) => p.name));
  for (const name of Object.keys(given)) {
    if (name !== "all" && !names.has(name))
      problems.push(`${name}: no such policy (policies: ${[...names].join(", ")})`);
  }
  const all = given["all"];
  const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
  const result = new Map<string, ResolvedConfig>();
  for (const policy of policies) {
    const schema = policy.configSchema?.properties ?? {};
    const defaults = Object.fromEntries(
      Object.entries(schema).flatMap(([k, s]) =>
        s.default === undefined ? [] : [[k, structuredClone(s.default)]],
      ),
    );
    const entry = given[policy.name];
    const { enforcementLevel: ownLevel, ...properties } =
      typeof entry === "string" ? { enforcementLevel: entry } : (entry ?? {});
    const level = (ownLevel ?? allLevel ?? policy.enforcementLevel ?? packLevel) as EnforcementLevel;
    if (!levels.includes(level))
      problems.push(`${policy.name}: enforcementLevel "${level}" is not one of ${levels.join(", ")}`);
    for (const [key, value] of Object.entries(properties)) {
      const propertySchema = schema[key];
      const problem = propertySchema
        ? typeProblem(value, propertySchema)
        : "is not in the policy's configSchema";
      if (problem) problems.push(`${policy.name}.${key}: ${problem}`);
    }
    const merged = { ...defaults, ...properties };
    for (const key of policy.configSchema?.required ?? []) {
      if (merged[key] === undefined) problems.push(`${policy.name}.${key}: is required`);
    }
    result.set(policy.name, { enforcementLevel: level, properties: merged });
  }
  if (problems.length > 0)
    throw new PolicyConfigError(`invalid policy config:\n  - ${problems.join("\n  - ")}`);
  return result;
}
