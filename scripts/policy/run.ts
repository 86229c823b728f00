/**
 * Runs a policy pack over an offline plan the way the Pulumi CLI and @pulumi/policy's
 * analyzer server do: every resource to every resource policy (with the server's type
 * short-cut, `notApplicable` and unknown-value handling), then every stack policy over all
 * resources, each policy with its reconciled config and enforcement level.
 */
import type {
  EnforcementLevel,
  Policies,
  PolicyPackConfig,
  ReportViolation,
  ResourceValidation,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isUnknownValue } from "../../policies/lib/preview-values.js";
import type { Plan } from "../plan/plan-types.js";
import { reconcileConfig } from "./config.js";
import { NotApplicable, notApplicable, policyResources, resourceArgs } from "./resources.js";

export interface Violation {
  readonly policy: string;
  readonly level: "mandatory" | "advisory";
  readonly message: string;
  /** The resource in violation; absent when the stack as a whole is. */
  readonly urn?: string;
}

export interface PolicySummary {
  readonly name: string;
  readonly description: string;
  readonly level: EnforcementLevel;
}

export interface PolicyRun {
  readonly stack: string;
  readonly resources: number;
  readonly policies: readonly PolicySummary[];
  readonly violations: readonly Violation[];
  /** Per policy, how many resources (or stacks) it did not apply to. */
  readonly notApplicable: ReadonlyMap<string, number>;
}

export interface RunOptions {
  /** The contents of a `--policy-pack-config` file. */
  readonly config?: PolicyPackConfig;
  readonly stackTags?: ReadonlyMap<string, string>;
  /** The pack's default level (PolicyPackArgs.enforcementLevel); @pulumi/policy's default is advisory. */
  readonly packLevel?: EnforcementLevel;
}

/** The server's test: a policy with a `validateStack` function is a stack policy. */
const isStackPolicy = (p: Policies[number]): p is StackValidationPolicy =>
  typeof (p as Partial<StackValidationPolicy>).validateStack === "function";

const pulumiTypeOf = (fn: unknown) => {
  const token = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof token === "string" && token.length > 0 ? token : undefined;
};

export async function runPolicies(
  plan: Plan,
  policies: Policies,
  options: RunOptions = {},
): Promise<PolicyRun> {
  const config = reconcileConfig(policies, options.packLevel ?? "advisory", options.config);
  const stackTags = options.stackTags ?? new Map<string, string>();
  const violations: Violation[] = [];
  const skipped = new Map<string, number>();
  const skip = (name: string) => skipped.set(name, (skipped.get(name) ?? 0) + 1);

  /** Runs one validation the way the server does: NotApplicable recorded, unknowns advisory. */
  async function attempt(policy: string, run: () => unknown) {
    try {
      await run();
    } catch (err) {
      if (err instanceof NotApplicable) skip(policy);
      else if (isUnknownValue(err)) {
        violations.push({
          policy,
          level: "advisory",
          message: `can't run during preview: ${(err as Error).message}`,
        });
      } else {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`policy ${policy} failed: ${reason}`, { cause: err });
      }
    }
  }

  for (const policy of policies) {
    const resolved = config.get(policy.name)!;
    if (resolved.enforcementLevel === "disabled") continue;
    const level = resolved.enforcementLevel === "advisory" ? "advisory" : "mandatory";
    const getConfig = () => structuredClone(resolved.properties);
    const report: (urn?: string) => ReportViolation = (fallback) => (message, urn) =>
      violations.push({
        policy: policy.name,
        level,
        message,
        ...((urn ?? fallback) ? { urn: urn ?? fallback } : {}),
      });

    if (isStackPolicy(policy)) {
      const resources = policyResources(plan.resources);
      const token = pulumiTypeOf(policy.validateStack);
      if (token && !resources.some((r) => r.type === token)) {
        skip(policy.name);
        continue;
      }
      await attempt(policy.name, () =>
        policy.validateStack({ resources, stackTags, getConfig, notApplicable } as never, report()),
      );
      continue;
    }
    const validations: ResourceValidation[] = [
      (policy as { validateResource?: ResourceValidation | ResourceValidation[] }).validateResource ?? [],
    ].flat();
    const token = validations.length === 1 ? pulumiTypeOf(validations[0]) : undefined;
    for (const resource of plan.resources) {
      if (token && resource.type !== token) {
        skip(policy.name);
        continue;
      }
      for (const validate of validations) {
        const args = resourceArgs(resource, { stackTags, getConfig });
        await attempt(policy.name, () => validate(args, report(resource.urn)));
      }
    }
  }

  return {
    stack: plan.stack,
    resources: plan.resources.length,
    policies: policies.map((p) => ({
      name: p.name,
      description: p.description,
      level: config.get(p.name)!.enforcementLevel,
    })),
    violations,
    notApplicable: skipped,
  };
}

export const mandatoryViolations = (run: PolicyRun) => run.violations.filter((v) => v.level === "mandatory");
