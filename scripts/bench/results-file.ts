import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * Makes sure `--out` can be written before the bench spends its 10-15 minutes: creates the
 * file's folder and checks it is writable, so a bad path fails at once, naming the option,
 * instead of losing a whole run's numbers at the end. Returns the absolute path.
 */
export function prepareResultsFile(out: string): string {
  const file = resolve(out);
  const folder = dirname(file);
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, constants.W_OK);
  } catch (err) {
    throw new Error(
      `--out ${out}: cannot write in ${folder} (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
  // A file not there yet is the usual case.
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`--out ${out}: is a folder; give a file name such as results.json`);
  return file;
}
