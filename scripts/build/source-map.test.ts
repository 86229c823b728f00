import { mkdtempSync, readFileSync } from "node:fs";
import { SourceMap, type SourceMapping } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decode, encode, type SourceMapSegment } from "@jridgewell/sourcemap-codec";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { bundleOptions } from "./bundle.js";
import { type RawSourceMap, trimSourceMap } from "./source-map.js";

const root = resolve(import.meta.dirname, "../..");
const isOwn = (source: string) => !source.includes("node_modules/");

describe("trimSourceMap", () => {
  // Line 0: app, app, a, a, a, b, b, a, app. Line 1: a, a (named), a's next line. Line 2: unmapped, a.
  const lines: SourceMapSegment[][] = [
    [
      [0, 0, 0, 0],
      [2, 0, 0, 2],
      [4, 1, 0, 0],
      [6, 1, 0, 2],
      [8, 1, 0, 4],
      [10, 2, 3, 0],
      [12, 2, 3, 2],
      [14, 1, 1, 0],
      [15, 0, 1, 0],
    ],
    [
      [0, 1, 1, 0],
      [2, 1, 1, 2, 0],
      [4, 1, 2, 0],
    ],
    [[0], [1, 1, 2, 0]],
  ];
  const map: RawSourceMap = {
    version: 3,
    sources: ["../src/app.ts", "../node_modules/lib/a.js", "../node_modules/lib/b.js"],
    sourcesContent: ["app", "a", "b"],
    names: ["x"],
    mappings: encode(lines),
  };
  const trimmed = trimSourceMap(map, isOwn);

  it("keeps every segment of the project's code and each run's first in a dependency", () => {
    expect(decode(trimmed.mappings)).toEqual([
      [
        [0, 0, 0, 0],
        [2, 0, 0, 2],
        [4, 1, 0, 0],
        [10, 2, 3, 0],
        [14, 1, 1, 0],
        [15, 0, 1, 0],
      ],
      [
        [0, 1, 1, 0],
        [4, 1, 2, 0],
      ],
      [[0], [1, 1, 2, 0]],
    ]);
  });

  it("drops the dependencies' text and keeps the project's", () => {
    expect(trimmed.sourcesContent).toEqual(["app", null, null]);
    expect(trimmed.sources).toEqual(map.sources);
  });
});

describe("a service bundle's map", () => {
  // Catalog's bundle as esbuild maps it, before bundleService trims the map.
  const out = join(mkdtempSync(join(tmpdir(), "source-map-")), "main.mjs");
  const untrimmed = build(bundleOptions(join(root, "services/catalog/main.ts"), out)).then(
    () => JSON.parse(readFileSync(`${out}.map`, "utf8")) as RawSourceMap,
  );

  it("maps every position of the project's code as before, each dependency's to its file and line, in under 40% of the segments", async () => {
    const raw = await untrimmed;
    const cut = trimSourceMap(raw, isOwn);
    const before = new SourceMap(raw as never);
    const after = new SourceMap(cut as never);
    let own = 0;
    let dependency = 0;
    let wrongFile = 0;
    let wrongLine = 0;
    decode(raw.mappings).forEach((line, generatedLine) => {
      for (const segment of line) {
        if (segment.length === 1) continue;
        const expected: Partial<SourceMapping> = before.findEntry(generatedLine, segment[0]);
        const got: Partial<SourceMapping> = after.findEntry(generatedLine, segment[0]);
        if (isOwn(raw.sources[segment[1]]!)) {
          own++;
          expect(got).toEqual(expected);
        } else {
          dependency++;
          if (got.originalSource !== expected.originalSource) wrongFile++;
          else if (got.originalLine !== expected.originalLine) wrongLine++;
        }
      }
    });
    expect(own).toBeGreaterThan(5_000);
    expect([wrongFile, wrongLine]).toEqual([0, 0]);
    const segments = (m: RawSourceMap) => decode(m.mappings).reduce((n, line) => n + line.length, 0);
    expect(segments(cut)).toBeLessThan(segments(raw) * 0.4);
    expect(dependency).toBeGreaterThan(100_000);
  }, 60_000);
});
