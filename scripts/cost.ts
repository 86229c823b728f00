/**
 * `npm run cost -- (--stack <name> | --plan plan.json | --diff base.json head.json)
 *   [--prices FILE] [--assumptions FILE] [--region R] [--json | --markdown]`
 *
 * The monthly on-demand cost of a stack, from its offline plan and the dated price table
 * (scripts/cost/prices.yaml), or what a change adds or removes (`--diff` of two plans).
 * Exits 0; 1 when the program fails to plan; 2 on bad input (files, table, region).
 */
import { parseArgs } from "node:util";
import { loadAssumptions } from "./cost/assumptions.js";
import { diffEstimates } from "./cost/diff.js";
import { renderCostDiff, renderCostDiffMarkdown } from "./cost/diff-report.js";
import { estimate } from "./cost/estimate.js";
import { loadPriceTable } from "./cost/price-table.js";
import { renderEstimate, renderEstimateMarkdown } from "./cost/report.js";
import type { Plan } from "./plan/plan-types.js";
import { readPlan } from "./plan/read-plan.js";

const usage =
  "usage: npm run cost -- (--stack <name> | --plan <plan.json> | --diff <base.json> <head.json>) [--prices FILE] [--assumptions FILE] [--region R] [--json | --markdown]";

/** The program failed to plan: exit 1, not 2. */
class PlanError extends Error {}

async function planOf(stack: string): Promise<Plan> {
  const [pulumi, { planStack }, { default: program }] = await Promise.all([
    import("@pulumi/pulumi"),
    import("./plan/run.js"),
    import("../infra/index.js"),
  ]);
  const plan = await planStack(stack, program).catch((err: Error) => {
    throw new PlanError(err.message);
  });
  if (pulumi.log.hasErrors())
    throw new PlanError(`plan of stack "${stack}" failed: the program logged errors (above)`);
  return plan;
}

async function main(): Promise<string> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      stack: { type: "string" },
      plan: { type: "string" },
      diff: { type: "boolean", default: false },
      prices: { type: "string" },
      assumptions: { type: "string" },
      region: { type: "string" },
      json: { type: "boolean", default: false },
      markdown: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return usage;
  const sources = [values.stack, values.plan, values.diff || undefined].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new Error(`give exactly one of --stack, --plan or --diff\n${usage}`);
  if (values.diff !== positionals.length > 0 || (values.diff && positionals.length !== 2))
    throw new Error(`--diff takes two plan files, base then head\n${usage}`);
  const table = loadPriceTable(values.prices);
  const assumptions = loadAssumptions(values.assumptions);
  const price = (plan: Plan) => estimate(plan, table, assumptions, values.region);
  if (values.diff) {
    const [base, head] = positionals.map((file) => price(readPlan(file)));
    const diff = diffEstimates(base!, head!);
    if (values.json) return JSON.stringify(diff, null, 2);
    return values.markdown ? renderCostDiffMarkdown(diff) : renderCostDiff(diff);
  }
  const result = price(values.plan ? readPlan(values.plan) : await planOf(values.stack!));
  if (values.json) return JSON.stringify(result, null, 2);
  return values.markdown ? renderEstimateMarkdown(result) : renderEstimate(result);
}

main().then(
  // Exit once the output is flushed: a pipe takes a large --json in several writes.
  (output) => process.stdout.write(`${output}\n`, () => process.exit(0)),
  (err: unknown) => {
    console.error(`cost failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof PlanError ? 1 : 2);
  },
);
