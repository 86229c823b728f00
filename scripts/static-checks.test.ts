import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

/** Runs an npm script's tool from the project's own node_modules; resolves to its exit code and output. */
async function check(tool: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(join(repoRoot, "node_modules", ".bin", tool), [...args], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

// `npm test` is what CI runs, so the lint and the type check ride along as tests: a finding
// fails the run with the tool's own report, and the rest of the suite still reports.
describe("static checks over the whole tree", () => {
  it("npm run lint (Biome) finds nothing", async () => {
    const { code, output } = await check("biome", ["check", "."]);
    expect(code, output).toBe(0);
  });

  it("npm run typecheck (tsc, strict) finds nothing", { timeout: 180_000 }, async () => {
    const { code, output } = await check("tsc", ["--noEmit", "-p", "."]);
    expect(code, output).toBe(0);
  });
});
