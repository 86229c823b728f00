/**
 * Every npm command the README documents must work straight after `npm ci` on a fresh
 * clone, where `services/gen/` (the protobuf code, generated and not committed) does not
 * exist yet. A command whose code reaches the generated code therefore needs a `pre` script
 * that generates it, as `start`, `test` and `build` have. This test finds what each command
 * loads by bundling its entry point with esbuild, the way `npm run bench` once failed with
 * ERR_MODULE_NOT_FOUND on a fresh clone.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const scripts = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }
).scripts;

/** Scripts named in the README as `npm run <name>`, `npm start` or `npm test`. */
function documentedScripts(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const names = new Set<string>();
  for (const [, name] of readme.matchAll(/npm run ([a-z][\w:-]*)/g)) if (name) names.add(name);
  for (const [, name] of readme.matchAll(/npm (start|test)\b/g)) if (name) names.add(name);
  return [...names].sort();
}

/** The TypeScript entry point a script runs (`tsx X` or `node scripts/bundled.ts X`). */
function entryOf(command: string): string | undefined {
  return /(?:tsx|node scripts\/bundled\.ts) ([\w/.-]+\.ts)/.exec(command)?.[1];
}

/** Whether code loaded from `entry` imports the generated protobuf code. */
async function readsGeneratedCode(entry: string): Promise<boolean> {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs).some((input) => input.startsWith("services/gen/"));
}

/** Tools that read the whole tree (the type checker, the test runner) need it generated too. */
const wholeTreeTools = /^(tsc|vitest)\b/;

describe("README commands on a fresh clone", () => {
  const documented = documentedScripts();

  it("finds the documented commands", () => {
    expect(documented).toEqual(expect.arrayContaining(["bench", "plan", "start", "test"]));
  });

  it.each(documented)("npm run %s exists in package.json", (name) => {
    expect(scripts[name], `README documents "npm run ${name}"`).toBeTypeOf("string");
  });

  it.each(documented)("npm run %s generates the protobuf code first when it needs it", async (name) => {
    const command = scripts[name] ?? "";
    const entry = entryOf(command);
    const needsGenerated =
      wholeTreeTools.test(command) || (entry !== undefined && (await readsGeneratedCode(entry)));
    // A command that does not need it may still generate it (build bundles the services).
    if (needsGenerated)
      expect(scripts[`pre${name}`] ?? "", `"${name}" loads services/gen/`).toMatch(/npm run generate/);
  });
});
