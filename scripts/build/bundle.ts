import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type BuildOptions, build } from "esbuild";
import { type RawSourceMap, trimSourceMap } from "./source-map.js";

/**
 * Packages that cannot live inside a bundle: native addons (.node files) and optional
 * native drivers. The image installs them beside the bundle; locally they resolve from
 * the repository's node_modules.
 */
export const externalPackages = ["@node-rs/argon2", "pg-native"] as const;

/**
 * Protobuf files grpc-js's health and reflection libraries read at run time, relative to
 * their own module. In a bundle that module is the bundle, so they must sit at
 * `<bundle dir>/../../proto/...`: the layout below keeps that true locally and in the image.
 */
const runtimeProtos = [
  ["grpc-health-check/proto/health/v1/health.proto", "health/v1/health.proto"],
  ["@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto", "grpc/reflection/v1/reflection.proto"],
  [
    "@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto",
    "grpc/reflection/v1alpha/reflection.proto",
  ],
] as const;

/** A source path in a bundle's map that is a dependency's, not the project's. */
const dependency = /(^|\/)node_modules\//;

/** ESM bundles still meet CommonJS dependencies that expect these. */
const banner = [
  'import { createRequire as __createRequire } from "node:module";',
  'import { dirname as __pathDirname } from "node:path";',
  'import { fileURLToPath as __fileURLToPath } from "node:url";',
  "const require = __createRequire(import.meta.url);",
  "const __filename = __fileURLToPath(import.meta.url);",
  "const __dirname = __pathDirname(__filename);",
].join("\n");

/**
 * An installed package and every installed package it depends on (optional ones only
 * where present: native addons ship one optional package per platform).
 */
export function installedClosure(root: string, name: string, seen = new Set<string>()): Set<string> {
  const manifest = join(root, "node_modules", name, "package.json");
  if (seen.has(name) || !existsSync(manifest)) return seen;
  seen.add(name);
  const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  for (const dependency of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    installedClosure(root, dependency, seen);
  }
  return seen;
}

/** Copies the external packages, with what they need on this platform, to `<outDir>/node_modules`. */
export function copyExternals(root: string, outDir: string): string[] {
  const packages = new Set<string>();
  for (const name of externalPackages) installedClosure(root, name, packages);
  for (const name of packages) {
    cpSync(join(root, "node_modules", name), join(outDir, "node_modules", name), {
      recursive: true,
      dereference: true,
    });
  }
  return [...packages].sort();
}

export interface BundleResult {
  readonly service: string;
  readonly file: string;
  readonly bytes: number;
}

/** esbuild's settings for a service's bundle. */
export const bundleOptions = (entry: string, outfile: string) =>
  ({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    sourcemap: true,
    minifySyntax: true,
    legalComments: "none",
    external: [...externalPackages],
    // @platformatic/kafka's WebAssembly helpers read `../dist/native.wasm` beside their module,
    // which a bundle does not have; the package's `bundled` entry carries the wasm inline.
    alias: { "@platformatic/wasm-utils": "@platformatic/wasm-utils/bundled" },
    banner: { js: banner },
    metafile: true,
    logLevel: "warning",
  }) satisfies BuildOptions;

/**
 * Bundles one service into `dist/services/<name>/main.mjs` with its SQL migrations beside
 * it. One file of JavaScript per service; Node 24; a source map for readable stack traces,
 * trimmed in the dependencies (source-map.ts).
 */
export async function bundleService(
  root: string,
  service: string,
  outDir = join(root, "dist"),
): Promise<BundleResult> {
  const entry = join(root, "services", service, "main.ts");
  if (!existsSync(entry)) throw new Error(`services/${service}/main.ts does not exist: nothing to bundle`);
  const target = join(outDir, "services", service);
  rmSync(target, { recursive: true, force: true });
  const result = await build(bundleOptions(entry, join(target, "main.mjs")));
  const mapFile = join(target, "main.mjs.map");
  const map = JSON.parse(readFileSync(mapFile, "utf8")) as RawSourceMap;
  writeFileSync(mapFile, JSON.stringify(trimSourceMap(map, (source) => !dependency.test(source))));
  const migrations = join(root, "services", service, "migrations");
  if (existsSync(migrations)) cpSync(migrations, join(target, "migrations"), { recursive: true });
  // The runtime's own tables (outbox, processed events): runtime/postgres.ts reads them from
  // `runtime-sql/` beside its module, which in a bundle is the bundle itself.
  cpSync(join(root, "services/runtime/runtime-sql"), join(target, "runtime-sql"), { recursive: true });
  for (const [source, destination] of runtimeProtos) {
    const to = join(outDir, "proto", destination);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(join(root, "node_modules", source), to);
  }
  copyExternals(root, outDir);
  const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
  return { service, file: join(target, "main.mjs"), bytes };
}
