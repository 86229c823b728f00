import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { registryFacts } from "../policies/pack.js";
import { changeFirst, completed, ofType, planOfStack } from "../policies/test/plans.js";

const root = resolve(import.meta.dirname, "..");
const tsx = join(root, "node_modules/.bin/tsx");
const dir = mkdtempSync(join(tmpdir(), "policy-"));

/** Runs `npm run policy` as a user would. */
function policy(...args: string[]) {
  const run = spawnSync(tsx, [join(root, "scripts/policy.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}
const write = (name: string, value: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
};

let passing: string;
let failing: string;
let publicDb: string;

beforeAll(async () => {
  const prod = completed(await planOfStack("prod"), (await registryFacts()).publicServices);
  const broken = changeFirst(
    prod,
    ofType("aws:rds/clusterInstance:ClusterInstance"),
    (r) => (r.inputs["publiclyAccessible"] = true),
  );
  [passing, failing, publicDb] = [write("pass.json", prod), write("fail.json", broken.plan), broken.urn];
}, 120_000);

// Each run starts Node, tsx and the Pulumi SDK: seconds apiece on a busy 2-core machine.
describe("npm run policy", { timeout: 90_000 }, () => {
  it("exits 0 on a plan without mandatory violations", () => {
    const result = policy("--plan", passing);
    expect(result.stdout).toMatch(
      /platform-policies@\d+\.\d+\.\d+: 32 policies over stack "prod" \(\d+ resources\): 0 mandatory, 0 advisory violations/,
    );
    expect(result.code).toBe(0);
  });

  it("prints violations grouped by policy with their URNs, and exits 1", () => {
    const result = policy("--plan", failing);
    expect(result.stdout).toContain(
      `[mandatory] data-stores-not-public: No data store is publicly accessible or admits an internet address range.\n` +
        `  - publiclyAccessible is true; data stores stay private\n      ${publicDb}`,
    );
    expect(result.code).toBe(1);
  });

  it("writes Markdown for a job summary", () => {
    const result = policy("--plan", failing, "--markdown");
    expect(result.stdout).toContain("### ❌ Policy report");
    expect(result.stdout).toContain(
      `| publiclyAccessible is true; data stores stay private | \`${publicDb}\` |`,
    );
  });

  it("honours a --policy-pack-config file: levels and thresholds", () => {
    const advisory = write("advisory.json", { "data-stores-not-public": "advisory" });
    const result = policy("--plan", failing, "--config", advisory);
    expect(result.stdout).toContain("[advisory] data-stores-not-public");
    expect(result.code).toBe(0);
    const wrong = write("wrong.json", { "workload-autoscaler": { maxReplicas: "many" } });
    const refused = policy("--plan", passing, "--config", wrong);
    expect(refused.stderr).toContain('workload-autoscaler.maxReplicas: expected integer, got "many"');
    expect(refused.code).toBe(2);
  });

  it("plans the stack first with --stack", () => {
    const result = policy("--stack", "staging");
    expect(result.stdout).toMatch(/over stack "staging"/);
  });

  it("refuses a file that is not a plan, naming it", () => {
    const result = policy("--plan", write("nope.json", { hello: 1 }));
    expect(result.stderr).toContain("nope.json: not a plan");
    expect(result.code).toBe(2);
  });
});
