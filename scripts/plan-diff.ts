/**
 * `npm run plan:diff -- before.json after.json [--markdown]`
 *
 * The infrastructure diff between two offline plans: resources added, removed and
 * changed (with the input paths that changed). CI shows it on pull requests without any
 * cloud credentials. Exits 0 whether or not there are changes; 2 on bad input.
 */
import { parseArgs } from "node:util";
import { diffPlans, renderDiff } from "./plan/diff.js";
import type { Plan } from "./plan/plan-types.js";
import { readPlan } from "./plan/read-plan.js";

const usage = "usage: npm run plan:diff -- <before.json> <after.json> [--markdown]";

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { markdown: { type: "boolean", default: false } },
  });
  if (positionals.length !== 2) throw new Error(`expected two plan files\n${usage}`);
  const [before, after] = positionals.map(readPlan) as [Plan, Plan];
  console.log(renderDiff(diffPlans(before, after), values.markdown ? "markdown" : "text"));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
