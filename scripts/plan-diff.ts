/**
 * `npm run plan:diff -- before.json after.json [--markdown]`
 *
 * The infrastructure diff between two offline plans: resources added, removed and
 * changed (with the input paths that changed). CI shows it on pull requests without any
 * cloud credentials. Exits 0 whether or not there are changes; 2 on bad input.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { diffPlans, renderDiff } from "./plan/diff.js";
import type { Plan } from "./plan/plan-types.js";

const usage = "usage: npm run plan:diff -- <before.json> <after.json> [--markdown]";

function readPlan(file: string): Plan {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`${file}: cannot read a plan (${(err as Error).message})`);
  }
  const plan = parsed as Partial<Plan>;
  if (typeof plan.stack !== "string" || !Array.isArray(plan.resources)) {
    throw new Error(
      `${file}: not a plan; expected JSON { "stack": string, "resources": [...] } from npm run plan -- --out`,
    );
  }
  return plan as Plan;
}

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
