/**
 * `npm run plan -- --stack <name> [--out plan.json] [--manifests dir] [--quiet]`
 *
 * Runs the real Pulumi program for a stack against offline mocks and shows everything
 * `pulumi up` would create: a tree, counts by type, and optionally the plan as JSON and
 * every Kubernetes object as YAML. Exits non-zero on any error.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import program from "../infra/index.js";
import { manifestsOf } from "./plan/manifests.js";
import { renderCounts, renderTree } from "./plan/report.js";
import { planStack } from "./plan/run.js";

const usage = "usage: npm run plan -- --stack <name> [--out plan.json] [--manifests <dir>] [--quiet]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      out: { type: "string" },
      manifests: { type: "string" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!values.stack) {
    console.error(`--stack is required (the stacks are the Pulumi.<stack>.yaml files)\n${usage}`);
    return 2;
  }
  const started = performance.now();
  const plan = await planStack(values.stack, program);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (pulumi.log.hasErrors()) {
    console.error(`plan of stack "${values.stack}" failed: the program logged errors (above)`);
    return 1;
  }
  if (!values.quiet) console.log(`${renderTree(plan)}\n\n${renderCounts(plan)}`);
  console.log(`planned stack "${plan.stack}": ${plan.resources.length} resources in ${seconds} s`);
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(plan, null, 2)}\n`);
    console.log(`wrote ${values.out}`);
  }
  if (values.manifests) {
    const files = manifestsOf(plan);
    for (const file of files) {
      const path = join(values.manifests, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.yaml);
    }
    console.log(`wrote ${files.length} Kubernetes manifests under ${values.manifests}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`plan failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
