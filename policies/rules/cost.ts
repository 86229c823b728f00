/**
 * Cost: advisory. The stack's monthly on-demand estimate (the same model and dated price
 * table as `npm run cost`) against a budget, and, when a baseline is given, the increase a
 * change brings.
 *
 * A CrossGuard stack policy sees one state, the proposed stack, never the change; and the
 * engine does not hand it the previous state. So the increase is measured against
 * `baselineMonthlyUsd`, the estimate of the stack before the change, which the caller
 * supplies: the preview workflow prices the base plan (`npm run cost -- --plan base.json
 * --json`) and passes its total in the policy config. Without it only the budget is checked.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { defaults } from "../../scripts/cost/assumptions.js";
import { estimate } from "../../scripts/cost/estimate.js";
import { money, signed } from "../../scripts/cost/format.js";
import { loadPriceTable } from "../../scripts/cost/price-table.js";
import type { Plan } from "../../scripts/plan/plan-types.js";
import { project } from "../../stacks/config-keys.js";
import { type ConfigProperty, stackOf } from "../lib/policy-kit.js";

const monthlyBudgetUsd: ConfigProperty = {
  type: "number",
  minimum: 0,
  default: 10000,
  description: "The most the stack may cost a month (USD, on demand, as npm run cost estimates it).",
};
const maxIncreaseUsd: ConfigProperty = {
  type: "number",
  minimum: 0,
  default: 500,
  description: "The most a change may add a month (USD) over baselineMonthlyUsd.",
};
const baselineMonthlyUsd: ConfigProperty = {
  type: "number",
  minimum: 0,
  description: "The stack's estimate before the change (the base plan's `monthly`); unset: no change check.",
};

interface CostConfig {
  monthlyBudgetUsd: number;
  maxIncreaseUsd: number;
  baselineMonthlyUsd?: number;
}

const stackType = "pulumi:pulumi:Stack";

/**
 * The stack's resources as a plan. Policies are not told which resources are components;
 * this program's components are the `platform:<area>:<Type>` tokens.
 */
export function planOfStack(resources: readonly PolicyResource[]): Plan {
  return {
    stack: stackOf(resources[0]?.urn ?? ""),
    resources: resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: r.parent?.urn ?? null,
      custom: r.type !== stackType && !r.type.startsWith(`${project}:`),
      inputs: r.props,
      dependencies: Object.fromEntries(
        Object.entries(r.propertyDependencies).map(([property, from]) => [property, from.map((d) => d.urn)]),
      ),
    })),
  };
}

export const monthlyCost: StackValidationPolicy = {
  name: "monthly-cost",
  description:
    "The stack's estimated monthly cost stays within monthlyBudgetUsd, and a change adds at most maxIncreaseUsd over baselineMonthlyUsd.",
  enforcementLevel: "advisory",
  configSchema: { properties: { monthlyBudgetUsd, maxIncreaseUsd, baselineMonthlyUsd } },
  validateStack: (args, report) => {
    const config = args.getConfig<CostConfig>();
    const plan = planOfStack(args.resources);
    let total: number;
    try {
      total = estimate(plan, loadPriceTable(), defaults()).monthly;
    } catch (err) {
      report(`cannot estimate the monthly cost: ${(err as Error).message}`);
      return;
    }
    const check = `npm run cost -- --stack ${plan.stack} shows each line`;
    if (total > config.monthlyBudgetUsd)
      report(
        `estimated at ${money(total)} a month, above monthlyBudgetUsd ${money(config.monthlyBudgetUsd)}; ${check}`,
      );
    const baseline = config.baselineMonthlyUsd;
    if (baseline !== undefined && total - baseline > config.maxIncreaseUsd)
      report(
        `this change adds ${signed(total - baseline)} a month (${money(baseline)} → ${money(total)}), more than maxIncreaseUsd ${money(config.maxIncreaseUsd)}; ${check}`,
      );
  },
};
