import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareResultsFile } from "./results-file.js";

describe("prepareResultsFile (--out)", () => {
  const root = mkdtempSync(join(tmpdir(), "bench-out-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("creates the folders a new results file needs and returns its absolute path", () => {
    const file = prepareResultsFile(join(root, "runs", "tonight", "bench.json"));
    expect(file).toBe(join(root, "runs", "tonight", "bench.json"));
    expect(statSync(join(root, "runs", "tonight")).isDirectory()).toBe(true);
  });

  it("refuses a path under a file, naming the option", () => {
    const plain = join(root, "plain.txt");
    writeFileSync(plain, "x");
    expect(() => prepareResultsFile(join(plain, "bench.json"))).toThrow(
      /^--out .*plain\.txt\/bench\.json: cannot write/,
    );
  });

  it("refuses a folder", () => {
    expect(() => prepareResultsFile(root)).toThrow(/is a folder/);
  });
});
