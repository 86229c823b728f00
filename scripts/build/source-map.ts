import { decode, encode, type SourceMapSegment } from "@jridgewell/sourcemap-codec";

/** A source map as esbuild writes it (version 3). */
export interface RawSourceMap {
  readonly version: 3;
  readonly sources: readonly string[];
  readonly sourcesContent?: readonly (string | null)[];
  readonly names: readonly string[];
  readonly mappings: string;
  readonly [other: string]: unknown;
}

/**
 * A bundle's map cut to what a stack trace needs. `--enable-source-maps` parses a bundle's
 * whole map the first time a stack is formatted and keeps it for the life of the process:
 * for catalog, about 557,000 segments, 98% of them in dependencies, held as about 58 MB of
 * small arrays plus the sources' text, all of which every full GC marks again. Segments in
 * the project's own code all stay, so its frames map exactly as before. Within the
 * dependencies, each run of segments from one line of one file keeps its first segment: a
 * frame there still names its package's file and line, with the column of the run's start. Dependencies lose their text in
 * `sourcesContent`, which only a debugger shows.
 */
export function trimSourceMap(map: RawSourceMap, isOwn: (source: string) => boolean): RawSourceMap {
  const own = map.sources.map(isOwn);
  const lines = decode(map.mappings).map((line) => {
    const kept: SourceMapSegment[] = [];
    let previous: SourceMapSegment | undefined;
    for (const segment of line) {
      if (segment.length === 1 || own[segment[1]]) kept.push(segment);
      else if (previous?.length === 1 || previous?.[1] !== segment[1] || previous[2] !== segment[2])
        kept.push([segment[0], segment[1], segment[2], segment[3]]);
      previous = segment;
    }
    return kept;
  });
  return {
    ...map,
    mappings: encode(lines),
    ...(map.sourcesContent
      ? { sourcesContent: map.sourcesContent.map((text, i) => (own[i] ? text : null)) }
      : {}),
  };
}
