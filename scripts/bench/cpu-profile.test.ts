import { describe, expect, it } from "vitest";
import { type CpuProfile, categoryOf, formatProfile, summarizeProfile } from "./cpu-profile.js";

describe("categoryOf", () => {
  it.each([
    ["logging (pino, its redaction and the line's write)", "asJson", "node_modules/pino/lib/tools.js"],
    [
      "telemetry (OTel spans, context, metrics)",
      "startActiveSpan",
      "node_modules/@opentelemetry/sdk-trace/build/Tracer.js",
    ],
    ["rate limit: Redis client and GCRA call", "check", "services/gateway/rate-limit.ts"],
    ["JWT and verified-token cache", "get", "node_modules/lru-cache/dist/esm/index.js"],
    ["gRPC client (runtime rpc: framing, streams)", "call", "services/runtime/rpc/client.ts"],
    ["protobuf (@bufbuild/protobuf)", "toBinary", "node_modules/@bufbuild/protobuf/dist/esm/to-binary.js"],
    ["HTTP/1.1 parse and write (node:http)", "parserOnHeadersComplete", "node:_http_common"],
    ["HTTP/2 (node:http2)", "request", "node:internal/http2/core"],
    ["JSON", "stringify", ""],
    ["sockets and streams", "writev", ""],
    ["gateway pipeline, own code", "respond", "services/gateway/pipeline.ts"],
  ])("puts %s first: %s in %s", (category, functionName, source) => {
    expect(categoryOf({ functionName, source, line: 1 })).toBe(category);
  });
});

describe("summarizeProfile", () => {
  const frame = (functionName: string, url: string) => ({
    functionName,
    url,
    lineNumber: 9,
    columnNumber: 0,
  });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(idle)", "") },
      { id: 2, callFrame: frame("asJson", "file:///repo/dist/services/gateway/main.mjs") },
      { id: 3, callFrame: frame("parserOnHeadersComplete", "node:_http_common") },
    ],
    samples: [1, 2, 2, 3, 1, 2],
    timeDeltas: [500, 100, 100, 200, 500, 100],
  };
  const summary = summarizeProfile(profile, (_url, line) => ({
    source: "../../../node_modules/pino/lib/tools.js",
    line,
  }));

  it("shares busy time out by category, leaving idle time aside", () => {
    expect(summary.idleMs).toBe(1);
    expect(summary.categories).toEqual([
      { category: "logging (pino, its redaction and the line's write)", share: 0.6 },
      { category: "HTTP/1.1 parse and write (node:http)", share: 0.4 },
    ]);
  });

  it("names functions by their source after the source map", () => {
    expect(summary.functions[0]!.frame).toEqual({
      functionName: "asJson",
      source: "node_modules/pino/lib/tools.js",
      line: 10,
    });
  });
});

describe("formatProfile", () => {
  it("names the profiled service and gives each category per request", () => {
    const text = formatProfile(
      "orders",
      { busyMs: 2_000, idleMs: 500, categories: [{ category: "protobuf", share: 0.25 }], functions: [] },
      400,
    );
    expect(text.split("\n")[0]).toBe("orders CPU profile: 2.00 s busy, 0.50 s idle");
    expect(text).toMatch(/25\.0%\s+100 µs\/req\s+protobuf/);
  });
});
