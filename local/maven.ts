/**
 * Maven as a downloader: servers the platform runs from Maven Central (Kafka's jars,
 * OpenSearch's distribution) are fetched with `mvn`, through Maven's own cache (~/.m2),
 * which other checkouts and CI reuse.
 */
import { ensureDebianPackages } from "./apt.js";
import { onPath } from "./java.js";
import { runLogged, tail } from "./process.js";

/** The maven-dependency-plugin, pinned: Maven 3.8's default one is old. */
export const dependencyPlugin = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

/** Maven (and with it a Java 17) from Debian's packages, plus `unzip`, unless they are there. */
export function ensureDownloadTools(): void {
  const missing = [
    ["mvn", "maven"],
    ["unzip", "unzip"],
  ].filter(([binary]) => onPath(binary!) === undefined);
  ensureDebianPackages(missing.map(([, pkg]) => pkg!));
}

const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * What a Maven log says so far: how many files it downloaded and the last transfer's
 * progress (`12/161 MB`), for a progress line while a download runs.
 */
export function mavenProgress(output: string): { downloaded: number; current?: string } {
  const text = output.replace(ansi, "");
  const downloaded = text.match(/Downloaded from /g)?.length ?? 0;
  const last = text.split("\n").at(-1) ?? "";
  const current = [...last.matchAll(/Progress \(\d+\): ([^\r]*?)\s*(?=\r|$)/g)].at(-1)?.[1];
  return current ? { downloaded, current } : { downloaded };
}

/**
 * Runs `mvn` with its output in `logFile`, printing a progress line every few seconds (files
 * downloaded, the transfer under way) so a first run on an empty ~/.m2 is not silent.
 * Checksums are strict: a file whose SHA-1 differs from Central's fails the run.
 */
export async function runMaven(what: string, args: readonly string[], logFile: string): Promise<void> {
  ensureDownloadTools();
  let recent = "";
  let downloaded = 0;
  // Not -B: batch mode hides the transfer progress this reports.
  const code = await runLogged("mvn", ["--strict-checksums", "-Dstyle.color=never", ...args], {
    logFile,
    onOutput: (chunk) => {
      recent += chunk.toString("utf8");
      const lines = recent.lastIndexOf("\n");
      if (lines > 0) {
        downloaded += mavenProgress(recent.slice(0, lines)).downloaded;
        recent = recent.slice(lines);
      }
      if (recent.length > 8_000) recent = recent.slice(-2_000);
    },
    heartbeat: {
      everyMs: 5_000,
      line: (seconds) => {
        const { current } = mavenProgress(recent);
        return `${what}: ${seconds} s, ${downloaded} files downloaded${current ? `, now ${current}` : ""} (log: ${logFile})`;
      },
    },
  });
  if (code !== 0) {
    const lines = tail(logFile, 400)
      .replace(ansi, "")
      .split(/[\r\n]+/)
      .filter((l) => !l.startsWith("Progress ("));
    throw new Error(
      `${what}: mvn failed (exit ${code}); log ${logFile} ends:\n${lines.slice(-30).join("\n")}`,
    );
  }
}
