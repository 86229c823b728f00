import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Plan } from "./plan/plan-types.js";

const root = resolve(import.meta.dirname, "..");

/** Runs `npm run plan` as a user would (bundled: scripts/bundled.ts), in `cwd` (where the Pulumi.<stack>.yaml files are). */
function plan(args: string[], cwd = root) {
  const run = spawnSync(
    process.execPath,
    [join(root, "scripts/bundled.ts"), join(root, "scripts/plan.ts"), ...args],
    {
      cwd,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run plan", () => {
  it("writes the plan as JSON, rooted at the stack, every resource with its parent", () => {
    const out = join(mkdtempSync(join(tmpdir(), "plan-")), "plan.json");
    const result = plan(["--stack", "staging", "--out", out, "--quiet"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const written = JSON.parse(readFileSync(out, "utf8")) as Plan;
    expect(written.stack).toBe("staging");
    const urns = new Set(written.resources.map((r) => r.urn));
    const roots = written.resources.filter((r) => r.parent === null);
    expect(roots.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    for (const r of written.resources) if (r.parent) expect(urns.has(r.parent), r.urn).toBe(true);
    expect(result.stdout).toMatch(/planned stack "staging": \d+ resources in [\d.]+ s/);
  });

  it("fails with the config key named when the stack config is wrong", () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-"));
    const broken = readFileSync(join(root, "Pulumi.staging.yaml"), "utf8").replace(
      "zones: [eu-central-1a, eu-central-1b, eu-central-1c]",
      "zones: [eu-central-1a, eu-central-1b]",
    );
    writeFileSync(join(dir, "Pulumi.broken.yaml"), broken);
    const result = plan(["--stack", "broken"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("platform:network.zones");
  });

  it("fails on a stack that does not exist", () => {
    const result = plan(["--stack", "nowhere"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no stack "nowhere"');
  });

  it("asks for --stack", () => {
    const result = plan([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--stack is required");
  });
});
