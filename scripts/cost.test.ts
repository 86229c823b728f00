import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { planOf, resource } from "../policies/test/fixtures.js";
import type { CostDiff } from "./cost/diff.js";
import type { Estimate } from "./cost/estimate.js";
import { subnet } from "./cost/fixtures.js";

const root = resolve(import.meta.dirname, "..");

/** `npm run cost -- ...args`, as a user runs it (bundled). */
function cost(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [join(root, "scripts/bundled.ts"), join(root, "scripts/cost.ts"), ...args],
      { cwd: root },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), "cost-cli-"));
const write = (name: string, value: unknown) => {
  writeFileSync(join(dir, name), typeof value === "string" ? value : JSON.stringify(value));
  return join(dir, name);
};
const small = write("small.json", planOf([subnet, resource("aws:ec2/natGateway:NatGateway", "nat", {})]));

describe("npm run cost", () => {
  it.each([
    ["prod", "eu-west-1"],
    ["staging", "eu-central-1"],
  ])(
    "prices the %s stack in %s, every AWS resource priced or free",
    async (stack, region) => {
      const result = await cost("--stack", stack, "--json");
      expect([result.code, result.stderr]).toEqual([0, ""]);
      const estimate = JSON.parse(result.stdout) as Estimate;
      expect([estimate.stack, estimate.region]).toEqual([stack, region]);
      expect(estimate.notPriced.filter((n) => n.type.startsWith("aws:"))).toEqual([]);
      expect(estimate.components.map((c) => c.component)).toContain(
        `platform-${stack} (platform:cluster:Cluster)`,
      );
      expect(estimate.monthly).toBeGreaterThan(1000);
    },
    120_000,
  );

  it("prints a table per component and the total for a plan file", async () => {
    const result = await cost("--plan", small);
    expect(result.code).toBe(0);
    // NAT gateway in eu-west-1: 730 h × $0.048 = $35.04, and 100 GiB × $0.048 = $4.80.
    expect(result.stdout).toContain("(stack): $39.84");
    expect(result.stdout).toContain("Total: $39.84 a month");
  });

  it("shows no change between a plan and itself", async () => {
    const result = await cost("--diff", small, small, "--json");
    expect(result.code).toBe(0);
    const diff = JSON.parse(result.stdout) as CostDiff;
    expect([diff.delta, diff.changes]).toEqual([0, []]);
  });

  it.each([
    [["--plan", join(dir, "missing.json")], "missing.json: cannot read a plan"],
    [["--plan", write("estimate.json", { monthly: 12 })], "estimate.json: not a plan"],
    [
      ["--plan", write("mumbai.json", planOf([{ ...subnet, inputs: { availabilityZone: "ap-south-1a" } }]))],
      "no prices for region ap-south-1",
    ],
    [["--plan", small, "--prices", write("prices.yaml", "taken: yesterday\n")], "is not a price table"],
    [["--diff", small], "--diff takes two plan files"],
    [["--plan", small, "--stack", "prod"], "give exactly one of --stack, --plan or --diff"],
  ])("refuses %j with a message naming the problem", async (args, message) => {
    const result = await cost(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
