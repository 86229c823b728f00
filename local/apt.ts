import { spawnSync } from "node:child_process";
import { log } from "./progress.js";

let updated = false;

function installed(pkg: string): boolean {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a template
  const query = spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" });
  return query.status === 0 && query.stdout.includes("install ok installed");
}

function run(command: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? [command, args] : ["sudo", ["-n", command, ...args]];
  const result = spawnSync(cmd, argv, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${result.status ?? result.signal})` +
        (asRoot ? "" : "; installing Debian packages needs root or password-less sudo"),
    );
  }
}

/** Installs the Debian packages that are missing (one `apt-get update` per process first). */
export function ensureDebianPackages(packages: readonly string[]): void {
  const missing = packages.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(" ")}`);
  if (!updated) {
    run("apt-get", ["update", "-q"]);
    updated = true;
  }
  run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing]);
}
