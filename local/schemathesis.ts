/**
 * Schemathesis, the property-based API tester that fuzzes the gateway from its OpenAPI
 * document, pinned and installed from PyPI with pip into a virtual environment under
 * `cacheDir("schemathesis", <version>)`, shared by every checkout and kept between CI runs.
 * Its dependencies are pinned too (`schemathesis-constraints.txt`, what the pinned version
 * resolved to), so a new release of one of them cannot change a run.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDebianPackages } from "./apt.js";
import { withLock } from "./lock.js";
import { cacheDir, repoRoot } from "./paths.js";
import { runLogged } from "./process.js";
import { step } from "./progress.js";

export const schemathesisVersion = "4.32.5";
/** Python 3.10 is the oldest Schemathesis 4 supports. */
const minimumPython = [3, 10] as const;
const constraintsFile = join(repoRoot, "local", "schemathesis-constraints.txt");

/** The virtual environment of the pinned version. */
export const schemathesisHome = () => cacheDir("schemathesis", schemathesisVersion);
/** The `schemathesis` command inside it. */
export const schemathesisBinary = () => join(schemathesisHome(), "venv", "bin", "schemathesis");

/** What an installation is keyed by: the version and the pinned dependencies. */
function installationKey(): string {
  const constraints = existsSync(constraintsFile) ? readFileSync(constraintsFile, "utf8") : "";
  return createHash("sha256").update(`${schemathesisVersion}\n${constraints}`).digest("hex");
}

/** The `python3` to build the environment with, checked to be new enough. */
function python(): string {
  const candidate = process.env["PLATFORM_PYTHON"] ?? "python3";
  const probe = spawnSync(candidate, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
    encoding: "utf8",
  });
  if (probe.status !== 0)
    throw new Error(
      `Schemathesis needs Python ${minimumPython.join(".")}+; "${candidate}" did not run (set PLATFORM_PYTHON to a python3)`,
    );
  const [major, minor] = probe.stdout.trim().split(".").map(Number) as [number, number];
  if (major < minimumPython[0] || (major === minimumPython[0] && minor < minimumPython[1]))
    throw new Error(
      `Schemathesis ${schemathesisVersion} needs Python ${minimumPython.join(".")}+; ${candidate} is ${major}.${minor} (set PLATFORM_PYTHON)`,
    );
  return candidate;
}

/** `python3 -m venv`, with Debian's python3-venv installed first when the module lacks ensurepip. */
function createVenv(pythonBinary: string, venv: string): void {
  const attempt = () => spawnSync(pythonBinary, ["-m", "venv", "--clear", venv], { encoding: "utf8" });
  let result = attempt();
  if (result.status !== 0 && /ensurepip|python3-venv/.test(`${result.stdout}${result.stderr}`)) {
    ensureDebianPackages(["python3-venv"]);
    result = attempt();
  }
  if (result.status !== 0)
    throw new Error(`${pythonBinary} -m venv ${venv} failed (exit ${result.status}):\n${result.stderr}`);
}

/** Runs pip with its output in `logFile`, printing a line every 10 s so a slow download is not silent. */
async function pip(venv: string, args: readonly string[], logFile: string): Promise<void> {
  let last = "";
  const code = await runLogged(
    join(venv, "bin", "python"),
    ["-m", "pip", "--disable-pip-version-check", "--no-input", ...args],
    {
      logFile,
      append: true,
      onOutput: (chunk) => {
        last = chunk.toString("utf8").trim().split("\n").at(-1) ?? last;
      },
      heartbeat: { everyMs: 10_000, line: (seconds) => `pip: ${seconds} s, ${last.trim().slice(0, 100)}` },
    },
  );
  if (code !== 0) {
    const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-30).join("\n");
    throw new Error(`pip ${args.join(" ")} failed (exit ${code}); log ${logFile} ends:\n${tail}`);
  }
}

function installedVersion(): string | undefined {
  const binary = schemathesisBinary();
  if (!existsSync(binary)) return undefined;
  const result = spawnSync(binary, ["--version"], { encoding: "utf8" });
  return result.status === 0 ? /(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1] : undefined;
}

/**
 * Returns the path of the pinned `schemathesis` command, installing it first (about 30 s
 * of downloads from PyPI) unless the cached environment already holds the same version
 * and dependencies. Idempotent and safe to call from several processes.
 */
export async function ensureSchemathesis(): Promise<string> {
  const home = schemathesisHome();
  const marker = join(home, "installed");
  const key = installationKey();
  const current = () =>
    existsSync(marker) && readFileSync(marker, "utf8") === key && installedVersion() === schemathesisVersion;
  if (current()) return schemathesisBinary();
  mkdirSync(home, { recursive: true });
  await withLock(home, async () => {
    if (current()) return;
    await step(`installing Schemathesis ${schemathesisVersion} from PyPI into ${home}`, async () => {
      rmSync(marker, { force: true });
      const venv = join(home, "venv");
      createVenv(python(), venv);
      const logFile = join(home, "pip.log");
      rmSync(logFile, { force: true });
      const constraints = existsSync(constraintsFile) ? ["--constraint", constraintsFile] : [];
      await pip(venv, ["install", `schemathesis==${schemathesisVersion}`, ...constraints], logFile);
      const version = installedVersion();
      if (version !== schemathesisVersion)
        throw new Error(
          `installed Schemathesis reports version ${version ?? "(none)"}, not ${schemathesisVersion}; see ${logFile}`,
        );
      writeFileSync(marker, key);
    });
  });
  return schemathesisBinary();
}
