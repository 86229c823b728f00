// biome-ignore-all lint/suspicious/noTemplateCurlyInString: a fixture's TypeScript source, template literals included
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const launcher = join(root, "scripts/bundled.ts");

/** Runs a command to its end; resolves with its exit code and output. */
function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** Every file under `dir` with its content, by relative path. */
function tree(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files.map((e) => [
      relative(dir, join(e.parentPath, e.name)),
      readFileSync(join(e.parentPath, e.name), "utf8"),
    ]),
  );
}

/** The timing is the only thing allowed to differ between two runs. */
const untimed = (stdout: string) => stdout.replace(/ in [\d.]+ s$/m, " in <t> s");

describe("npm run plan runs the program bundled, with tsx's output", () => {
  it.each(["prod", "staging"])(
    "plans %s to the same bytes (JSON, manifests, report) as tsx scripts/plan.ts",
    async (stack) => {
      const dir = mkdtempSync(join(tmpdir(), `plan-${stack}-`));
      const args = (path: string) => [
        "--stack",
        stack,
        "--out",
        join(dir, path, "plan.json"),
        "--manifests",
        join(dir, path, "k8s"),
      ];
      const [slow, fast] = await Promise.all([
        run(join(root, "node_modules/.bin/tsx"), ["scripts/plan.ts", ...args("tsx")]),
        run(process.execPath, [launcher, "scripts/plan.ts", ...args("bundled")]),
      ]);
      expect([slow.code, slow.stderr, fast.code, fast.stderr]).toEqual([0, "", 0, ""]);
      expect(untimed(fast.stdout).replaceAll("/bundled/", "/tsx/")).toBe(untimed(slow.stdout));
      expect(readFileSync(join(dir, "bundled/plan.json"), "utf8")).toBe(
        readFileSync(join(dir, "tsx/plan.json"), "utf8"),
      );
      expect(tree(join(dir, "bundled/k8s"))).toEqual(tree(join(dir, "tsx/k8s")));
    },
    180_000,
  );
});

describe("scripts/bundled.ts", () => {
  const fixture = mkdtempSync(join(tmpdir(), "bundled-"));
  afterAll(() => {
    rmSync(fixture, { recursive: true, force: true });
    const name = relative(root, join(fixture, "entry")).replace(/[/\\]/g, "__");
    for (const suffix of [".cjs", ".json"])
      rmSync(join(root, "node_modules/.cache/bundled", name + suffix), { force: true });
  });
  const write = (path: string, text: string) => {
    mkdirSync(join(fixture, path, ".."), { recursive: true });
    writeFileSync(join(fixture, path), text);
  };
  write("word.ts", 'export const word: string = "one";\n');
  write("parts/a/part.ts", 'export default "a";\n');
  write(
    "entry.ts",
    [
      'import { readdirSync } from "node:fs";',
      'import { word } from "./word.js";',
      "async function main() {",
      "  const parts: string[] = [];",
      "  for (const name of readdirSync(`${import.meta.dirname}/parts`).sort())",
      "    parts.push((await import(`./parts/${name}/part.ts`)).default);",
      '  console.log([word, parts.join(","), import.meta.dirname, ...process.argv.slice(2)].join(" "));',
      "}",
      "main();",
    ].join("\n"),
  );
  const entry = () =>
    spawnSync(process.execPath, [launcher, join(fixture, "entry.ts"), "--flag"], { encoding: "utf8" });

  it("runs the entry with its own arguments and its own import.meta", () => {
    expect(entry().stdout).toBe(`one a ${fixture} --flag\n`);
  });

  it("rebuilds when an input changes", () => {
    write("word.ts", 'export const word: string = "two";\n');
    expect(entry().stdout).toBe(`two a ${fixture} --flag\n`);
  });

  it("rebuilds when a glob import matches a new file", () => {
    write("parts/b/part.ts", 'export default "b";\n');
    expect(entry().stdout).toBe(`two a,b ${fixture} --flag\n`);
  });

  it("refuses an entry that does not exist", () => {
    const result = spawnSync(process.execPath, [launcher, "scripts/nowhere.ts"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("no file scripts/nowhere.ts");
  });
});
