/**
 * `npm run policy -- (--plan plan.json | --stack <name>) [--config policy-config.json] [--tag k=v]... [--markdown]`
 *
 * Runs the policy pack (policies/) over an offline plan, the way `pulumi preview
 * --policy-pack policies` runs it over a preview: prints the violations grouped by policy,
 * and exits 1 when any is mandatory (0 otherwise, 2 on bad input).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { PolicyPackConfig } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { packName, platformPolicies, registryFacts } from "../policies/pack.js";
import type { Plan } from "./plan/plan-types.js";
import { readPlan } from "./plan/read-plan.js";
import { PolicyConfigError } from "./policy/config.js";
import { renderMarkdown, renderText } from "./policy/report.js";
import { mandatoryViolations, runPolicies } from "./policy/run.js";

const usage =
  "usage: npm run policy -- (--plan <plan.json> | --stack <name>) [--config <policy-config.json>] [--tag key=value]... [--markdown]";

/** Bad arguments or input files: exit 2, as for a usage error. */
class InputError extends Error {}

function readInput<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

async function planOf(values: { plan?: string; stack?: string }): Promise<Plan> {
  if (values.plan && values.stack) throw new InputError(`give --plan or --stack, not both\n${usage}`);
  if (values.plan) return readInput(() => readPlan(values.plan!));
  if (!values.stack) throw new InputError(`--plan or --stack is required\n${usage}`);
  const [{ planStack }, { default: program }] = await Promise.all([
    import("./plan/run.js"),
    import("../infra/index.js"),
  ]);
  const plan = await planStack(values.stack, program);
  if (pulumi.log.hasErrors())
    throw new Error(`plan of stack "${values.stack}" failed: the program logged errors (above)`);
  return plan;
}

function tagsOf(pairs: readonly string[]): Map<string, string> {
  return new Map(
    pairs.map((pair) => {
      const at = pair.indexOf("=");
      if (at < 1) throw new InputError(`--tag expects key=value, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)] as [string, string];
    }),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      plan: { type: "string" },
      stack: { type: "string" },
      config: { type: "string" },
      tag: { type: "string", multiple: true, default: [] },
      markdown: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const plan = await planOf(values);
  const config = values.config
    ? (JSON.parse(readFileSync(values.config, "utf8")) as PolicyPackConfig)
    : undefined;
  const version = (
    JSON.parse(readFileSync(join(import.meta.dirname, "../policies/package.json"), "utf8")) as {
      version: string;
    }
  ).version;
  const run = await runPolicies(plan, platformPolicies(await registryFacts()), {
    ...(config ? { config } : {}),
    stackTags: tagsOf(values.tag),
  });
  const pack = `${packName}@${version}`;
  console.log(values.markdown ? renderMarkdown(run, pack) : renderText(run, pack));
  return mandatoryViolations(run).length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`policy run failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof InputError || err instanceof PolicyConfigError ? 2 : 1);
  },
);
