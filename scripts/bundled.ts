/**
 * `node scripts/bundled.ts <entry.ts> [args...]`: runs a TypeScript entry point of this
 * repository (`npm run plan` and `npm run cost` use it) as one esbuild bundle instead of
 * through tsx, with Node's compile cache on. Same code, same output, about a third of the
 * CPU: tsx transforms every file and turns on source maps, which makes each of the Pulumi
 * SDK's many `new Error().stack` captures expensive.
 *
 * Plain Node runs this file (type stripping), so it imports only Node and esbuild.
 *
 * - The bundle is CommonJS with every package external: packages load through `require`,
 *   so the providers' lazily loaded modules stay lazy (an ESM import of `@pulumi/cloudflare`
 *   reads every export and loads its ~800 modules).
 * - It lives in `node_modules/.cache/bundled/`, inside the checkout, so the externals
 *   resolve from its `node_modules`. It is reused while its key holds: the checkout's path,
 *   Node's and esbuild's versions, the build options, every input file esbuild read, and what
 *   each glob import (`import(\`./${name}/service.ts\`)`) matches now. A change to any of
 *   them rebuilds it, which takes a few hundred milliseconds.
 * - Each module keeps its own `import.meta.url`/`dirname`/`filename` (rewritten to the
 *   source file's at bundle time), so paths computed from them do not move into the cache.
 */
import { createHash } from "node:crypto";
import { existsSync, globSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire, enableCompileCache } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BuildOptions, Metafile, Plugin } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const cacheDir = join(root, "node_modules", ".cache", "bundled");
const require = createRequire(import.meta.url);

interface Manifest {
  readonly key: string;
  /** Input files, relative to the root. */
  readonly inputs: readonly string[];
  /** Glob imports: the importer's folder (relative to the root) and esbuild's pattern. */
  readonly globs: readonly { readonly dir: string; readonly pattern: string }[];
}

const options: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node24",
  packages: "external",
  keepNames: true,
  metafile: true,
  write: false,
  logLevel: "warning",
};

const ownImportMeta: Plugin = {
  name: "own-import-meta",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      const values: Record<string, string> = {
        url: pathToFileURL(args.path).href,
        dirname: dirname(args.path),
        filename: args.path,
      };
      const source = readFileSync(args.path, "utf8");
      const contents = source.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, field: string) =>
        JSON.stringify(values[field]),
      );
      return { contents, loader: "ts" };
    });
  },
};

function keyOf(manifest: Omit<Manifest, "key">): string {
  const esbuild = (require("esbuild/package.json") as { version: string }).version;
  // The root too: the bundle holds absolute paths (import.meta), so a moved checkout rebuilds.
  const hash = createHash("sha256").update(JSON.stringify({ root, node: process.version, esbuild, options }));
  for (const input of manifest.inputs) hash.update(`\0${input}\0`).update(readFileSync(join(root, input)));
  for (const { dir, pattern } of manifest.globs) {
    const matches = globSync(pattern, { cwd: join(root, dir) }).sort();
    hash.update(`\0${dir}\0${pattern}\0${matches.join("\0")}`);
  }
  return hash.digest("hex");
}

/** Whether the bundle written with this manifest may run again. */
function reusable(manifestFile: string, bundleFile: string): boolean {
  if (!existsSync(manifestFile) || !existsSync(bundleFile)) return false;
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
    return keyOf(manifest) === manifest.key;
  } catch {
    return false; // an input was deleted, or the manifest is damaged: rebuild
  }
}

function manifestOf(metafile: Metafile): Omit<Manifest, "key"> {
  const inputs = Object.keys(metafile.inputs).sort();
  const globs = Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.path.includes("*")).map((i) => ({ dir: dirname(file), pattern: i.path })),
  );
  return { inputs, globs };
}

/** Writes atomically, so a plan running beside a rebuild never reads half a file. */
function replace(file: string, contents: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

async function bundle(entry: string): Promise<string> {
  const name = relative(root, entry)
    .replace(/[/\\]/g, "__")
    .replace(/\.[cm]?ts$/, "");
  const bundleFile = join(cacheDir, `${name}.cjs`);
  const manifestFile = join(cacheDir, `${name}.json`);
  if (reusable(manifestFile, bundleFile)) return bundleFile;
  const { build } = await import("esbuild");
  const result = await build({
    ...options,
    absWorkingDir: root,
    entryPoints: [entry],
    plugins: [ownImportMeta],
  });
  const manifest = manifestOf(result.metafile!);
  mkdirSync(cacheDir, { recursive: true });
  replace(bundleFile, result.outputFiles![0]!.contents);
  replace(manifestFile, `${JSON.stringify({ key: keyOf(manifest), ...manifest }, null, 2)}\n`);
  return bundleFile;
}

const [entry] = process.argv.splice(2, 1);
if (!entry || !existsSync(entry)) {
  console.error(`usage: node scripts/bundled.ts <entry.ts> [args...]${entry ? ` (no file ${entry})` : ""}`);
  process.exit(2);
}
enableCompileCache(join(cacheDir, "v8"));
const file = await bundle(resolve(entry));
process.argv[1] = resolve(entry);
require(file);
