import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

/** The feature version (17, 21, 25...) in a JDK's `release` file; `1.8.0_x` counts as 8. */
export function javaFeatureVersion(releaseFile: string): number | undefined {
  const version = /^JAVA_VERSION="([^"]+)"/m.exec(releaseFile)?.[1];
  if (!version) return undefined;
  const [first, second] = version.split(/[.+_-]/).map(Number);
  return first === 1 ? second : first;
}

/** An executable of this name on the PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function featureVersion(javaHome: string): number | undefined {
  const release = join(javaHome, "release");
  if (existsSync(release)) return javaFeatureVersion(readFileSync(release, "utf8"));
  const probe = spawnSync(join(javaHome, "bin", "java"), ["-XshowSettings:properties", "-version"], {
    encoding: "utf8",
  });
  const spec = /java\.specification\.version = (\S+)/.exec(probe.stderr ?? "")?.[1];
  return spec ? javaFeatureVersion(`JAVA_VERSION="${spec}"`) : undefined;
}

/**
 * The home of a JDK or JRE of at least `minimum`: `PLATFORM_JAVA_HOME`, `JAVA_HOME`, the
 * `java` on the PATH, then the newest under /usr/lib/jvm. Fails naming what it found.
 */
export function findJavaHome(minimum: number, forWhat: string): string {
  const fromPath = onPath("java");
  const jvmRoot = "/usr/lib/jvm";
  const installed = existsSync(jvmRoot) ? readdirSync(jvmRoot).map((d) => join(jvmRoot, d)) : [];
  const candidates = [
    process.env["PLATFORM_JAVA_HOME"],
    process.env["JAVA_HOME"],
    fromPath && dirname(dirname(realpathSync(fromPath))),
  ].filter((home): home is string => !!home);
  const seen = new Map<string, number | undefined>();
  const consider = (home: string) => {
    const real = existsSync(join(home, "bin", "java")) ? realpathSync(home) : undefined;
    if (real && !seen.has(real)) seen.set(real, featureVersion(real));
    return real;
  };
  for (const home of candidates) {
    const real = consider(home);
    if (real && (seen.get(real) ?? 0) >= minimum) return real;
  }
  for (const home of installed) consider(home);
  const newest = [...seen].sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0];
  if (newest && (newest[1] ?? 0) >= minimum) return newest[0];
  const found = [...seen].map(([home, v]) => `${home} (${v ?? "?"})`).join(", ") || "none";
  throw new Error(
    `${forWhat} needs Java ${minimum} or newer; found ${found}. Install a JDK ${minimum}+ (e.g. Temurin) and set PLATFORM_JAVA_HOME to it`,
  );
}
