import { existsSync, readdirSync, readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where a process's CPU time went, from a V8 `.cpuprofile` (node --cpu-prof): self time
 * per function, mapped through the bundle's source map back to the file it came from,
 * and grouped into the categories of the request path.
 */

export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
      readonly columnNumber: number;
    };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A function as the profile names it, with its source file (after the source map) and line. */
export interface Frame {
  readonly functionName: string;
  /** `node:...` for Node's own modules, a repository path such as `services/gateway/pipeline.ts`, `node_modules/pino/...`, or "" for V8 built-ins. */
  readonly source: string;
  readonly line: number;
}

const rules: readonly (readonly [string, (f: Frame) => boolean])[] = [
  ["idle", (f) => f.functionName === "(idle)"],
  ["garbage collection", (f) => f.functionName === "(garbage collector)"],
  ["V8 and native, unattributed", (f) => f.functionName === "(program)"],
  [
    "logging (pino, its redaction and the line's write)",
    (f) =>
      /node_modules\/(pino|@pinojs|sonic-boom|fast-redact|thread-stream|quick-format-unescaped|safe-stable-stringify|fast-safe-stringify|on-exit-leak-free|atomic-sleep)\//.test(
        f.source,
      ) ||
      f.source.startsWith("services/runtime/logger") ||
      (f.source === "" && f.functionName === "writeString"),
  ],
  [
    "telemetry (OTel spans, context, metrics)",
    (f) =>
      f.source.includes("node_modules/@opentelemetry/") ||
      /^services\/runtime\/(tracing|metrics|telemetry)/.test(f.source),
  ],
  ["protobuf (@bufbuild/protobuf)", (f) => f.source.includes("node_modules/@bufbuild/protobuf/")],
  ["gRPC client (runtime rpc: framing, streams)", (f) => f.source.startsWith("services/runtime/rpc/")],
  [
    "rate limit: Redis client and GCRA call",
    (f) =>
      /node_modules\/(@redis\/|redis\/|cluster-key-slot|generic-pool)/.test(f.source) ||
      /^services\/(runtime\/redis|gateway\/rate-limit)/.test(f.source),
  ],
  [
    "JWT and verified-token cache",
    (f) => /node_modules\/(jose|lru-cache)\//.test(f.source) || f.source.startsWith("services/gateway/auth/"),
  ],
  [
    "routing and validation (find-my-way, ajv)",
    (f) =>
      /node_modules\/(find-my-way|ajv|ajv-formats|fast-querystring|fast-deep-equal|safe-regex2)\//.test(
        f.source,
      ) || /^services\/gateway\/(router|validation)/.test(f.source),
  ],
  ["gateway pipeline, own code", (f) => f.source.startsWith("services/gateway/")],
  ["HTTP/2 (node:http2)", (f) => f.source.startsWith("node:internal/http2") || f.source === "node:http2"],
  ["HTTP/1.1 parse and write (node:http)", (f) => /^node:(_http_|http$|internal\/http)/.test(f.source)],
  [
    "AbortSignal timers and DOMExceptions",
    (f) =>
      f.source === "node:internal/abort_controller" || f.source === "node:internal/per_context/domexception",
  ],
  ["JSON", (f) => f.source === "" && /^(stringify|parse|JSON\.)/.test(f.functionName)],
  [
    "sockets and streams",
    (f) =>
      /^node:(net|stream|internal\/streams|internal\/stream_base_commons|internal\/net)/.test(f.source) ||
      (f.source === "" &&
        /^(writev|writeUtf8String|writeBuffer|writeLatin1String|onStreamRead)$/.test(f.functionName)),
  ],
  [
    "event loop: promises, timers, events, async context",
    (f) =>
      /^node:(events|timers|async_hooks|internal\/(process\/task_queues|timers|async_hooks|async_local_storage|async_context_frame))/.test(
        f.source,
      ) ||
      (f.source === "" && f.functionName === "runMicrotasks"),
  ],
];

export function categoryOf(frame: Frame): string {
  return rules.find(([, test]) => test(frame))?.[0] ?? "other";
}

/** A frame's source as a repository path: maps bundle positions back through `resolve`. */
export type Resolver = (
  url: string,
  line: number,
  column: number,
) => { source: string; line: number } | undefined;

function normalise(source: string): string {
  const modules = source.lastIndexOf("node_modules/");
  if (modules >= 0) return source.slice(modules);
  const services = source.search(/(^|\/)(services|scripts|local)\//);
  return services >= 0 ? source.slice(services).replace(/^\//, "") : source;
}

export interface ProfileSummary {
  /** Sampled milliseconds not idle. */
  readonly busyMs: number;
  readonly idleMs: number;
  /** Category -> share of busy time (0-1), largest first. */
  readonly categories: readonly { readonly category: string; readonly share: number }[];
  readonly functions: readonly { readonly frame: Frame; readonly category: string; readonly share: number }[];
}

export function summarizeProfile(
  profile: CpuProfile,
  resolve: Resolver = () => undefined,
  top = 25,
): ProfileSummary {
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries())
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byFunction = new Map<string, { frame: Frame; us: number }>();
  for (const node of profile.nodes) {
    const us = self.get(node.id);
    if (!us) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const mapped = url.startsWith("file:") ? resolve(url, lineNumber, columnNumber) : undefined;
    const frame: Frame = {
      functionName: functionName || "(anonymous)",
      source: mapped ? normalise(mapped.source) : url,
      line: (mapped?.line ?? lineNumber) + 1,
    };
    const key = `${frame.functionName}@${frame.source}:${frame.line}`;
    const entry = byFunction.get(key) ?? { frame, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const entries = [...byFunction.values()].map((e) => ({ ...e, category: categoryOf(e.frame) }));
  const idle = entries.filter((e) => e.category === "idle").reduce((sum, e) => sum + e.us, 0);
  const busy = entries.reduce((sum, e) => sum + e.us, 0) - idle;
  const categories = new Map<string, number>();
  for (const e of entries)
    if (e.category !== "idle") categories.set(e.category, (categories.get(e.category) ?? 0) + e.us);
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    categories: [...categories]
      .map(([category, us]) => ({ category, share: us / busy }))
      .sort((a, b) => b.share - a.share),
    functions: entries
      .filter((e) => e.category !== "idle")
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ frame: e.frame, category: e.category, share: e.us / busy })),
  };
}

/** Resolves bundle positions through the `.map` files beside the bundles (loaded once each). */
export function sourceMapResolver(): Resolver {
  const maps = new Map<string, SourceMap | undefined>();
  return (url, line, column) => {
    if (!maps.has(url)) {
      const file = `${fileURLToPath(url)}.map`;
      maps.set(
        url,
        existsSync(file)
          ? new SourceMap(JSON.parse(readFileSync(file, "utf8")) as SourceMapPayload)
          : undefined,
      );
    }
    const entry = maps.get(url)?.findEntry(line, column);
    return entry && "originalSource" in entry
      ? { source: entry.originalSource, line: entry.originalLine }
      : undefined;
  };
}

/** The newest `.cpuprofile` in a folder. */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .sort();
  return files.length ? join(dir, files[files.length - 1]!) : undefined;
}

export function formatProfile(service: string, summary: ProfileSummary, usPerRequest?: number): string {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  const us = (share: number) =>
    usPerRequest ? `${(share * usPerRequest).toFixed(0).padStart(5)} µs/req` : "";
  return [
    `${service} CPU profile: ${(summary.busyMs / 1000).toFixed(2)} s busy, ${(summary.idleMs / 1000).toFixed(2)} s idle`,
    "self time by category (share of busy time):",
    ...summary.categories.map((c) => `  ${pct(c.share)}  ${us(c.share)}  ${c.category}`),
    "top functions by self time:",
    ...summary.functions.map(
      (f) =>
        `  ${pct(f.share)}  ${f.frame.functionName}  ${f.frame.source}${f.frame.source ? `:${f.frame.line}` : ""}  [${f.category}]`,
    ),
  ].join("\n");
}
