/**
 * `npm run build [-- service...]`: type-checks nothing (see `npm run typecheck`) and bundles
 * each service that has a `main.ts` into `dist/services/<name>/main.mjs` with esbuild.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { serviceFolders } from "../services/registry.js";
import { bundleService } from "./build/bundle.js";

const root = join(import.meta.dirname, "..");
const requested = process.argv.slice(2);
const runnable = serviceFolders().filter((name) => existsSync(join(root, "services", name, "main.ts")));
const unknown = requested.filter((name) => !runnable.includes(name));
if (unknown.length > 0) {
  console.error(`no runnable service named ${unknown.join(", ")}; runnable: ${runnable.join(", ")}`);
  process.exit(2);
}
for (const service of requested.length > 0 ? requested : runnable) {
  const started = performance.now();
  const result = await bundleService(root, service);
  console.log(
    `${service}: ${result.file} (${(result.bytes / 1024).toFixed(0)} KiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
