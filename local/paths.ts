import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root. */
export const repoRoot = resolve(import.meta.dirname, "..");

/**
 * Downloads and builds, shared by every checkout and kept between CI runs:
 * `${XDG_CACHE_HOME:-~/.cache}/platform/...`, keyed by version by the callers.
 */
export function cacheDir(...parts: string[]): string {
  return join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "platform", ...parts);
}

/** Server data of this checkout: `.local/` in the repository unless PLATFORM_DATA_DIR says otherwise. */
export function dataDir(...parts: string[]): string {
  return join(process.env["PLATFORM_DATA_DIR"] ?? join(repoRoot, ".local"), ...parts);
}
