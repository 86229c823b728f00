import { readFileSync } from "node:fs";
import type { Plan } from "./plan-types.js";

/** Reads a plan written by `npm run plan -- --out`, with a message naming the file when it is not one. */
export function readPlan(file: string): Plan {
  let plan: Partial<Plan>;
  try {
    plan = JSON.parse(readFileSync(file, "utf8")) as Partial<Plan>;
  } catch (err) {
    throw new Error(`${file}: cannot read a plan (${(err as Error).message})`);
  }
  const shaped = Array.isArray(plan.resources) && plan.resources.every((r) => r && typeof r.urn === "string");
  if (typeof plan.stack !== "string" || !shaped) {
    throw new Error(
      `${file}: not a plan; expected { "stack", "resources": [{ "urn", "type", "inputs", ... }] } from npm run plan -- --out`,
    );
  }
  return plan as Plan;
}
