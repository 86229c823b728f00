import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The infrastructure side (the program, its components, the stack spec, the policy pack)
 * shares only `contracts/` and the service registry with the services. It never imports the
 * services' runtime, so a change inside `services/runtime/` cannot break or slow the plan.
 */
const root = resolve(import.meta.dirname, "..");
const infrastructure = ["components", "infra", "stacks", "policies"];
const runtime = "services/runtime/";

/** Files allowed across the boundary, each with its reason. */
const crossings: Readonly<Record<string, string>> = {
  "infra/service-env.test.ts":
    "holds every pod's environment to the services' own config schemas, so it loads them",
};

/** Every module specifier a file imports (static, dynamic, re-exports, require), resolved to a repo path. */
function importsOf(file: string, text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => relative(root, resolve(root, dirname(file), spec)));
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|cjs|mjs|js)$/.test(f) && !f.split("/").includes("node_modules"))
    .map((f) => join(dir, f));
}

describe("the boundary between infrastructure and the services' runtime", () => {
  it("finds an import of the runtime however it is written", () => {
    const text = [
      'import { a } from "../../services/runtime/config.js";',
      'export { b } from "../../contracts/service-spec.js";',
      'const c = await import("../../services/runtime/sealing.js");',
    ].join("\n");
    expect(importsOf("components/x/y.ts", text)).toEqual([
      "services/runtime/config.js",
      "contracts/service-spec.js",
      "services/runtime/sealing.js",
    ]);
  });

  it("holds: components, infra, stacks and policies never import services/runtime/", () => {
    const reaching = infrastructure
      .flatMap(sources)
      .filter((file) => !(file in crossings))
      .flatMap((file) =>
        importsOf(file, readFileSync(join(root, file), "utf8"))
          .filter((target) => target.startsWith(runtime))
          .map((target) => `${file} imports ${target} (use contracts/ or services/registry.ts)`),
      );
    expect(reaching).toEqual([]);
  });
});
