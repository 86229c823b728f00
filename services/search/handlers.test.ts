import { create } from "@bufbuild/protobuf";
import type { Client } from "@opensearch-project/opensearch";
import { describe, expect, it } from "vitest";
import { SearchRequestSchema } from "../gen/platform/search/v1/search_pb.js";
import { createLogger } from "../runtime/logger.js";
import type { CallContext } from "../runtime/rpc/server.js";
import { searchHandlers } from "./handlers.js";

/** OpenSearch's client answers a thenable whose abort() returns itself and rejects it. */
function hangingSearch() {
  let reject!: (err: Error) => void;
  const p = new Promise((_, no) => {
    reject = no;
  });
  const request = {
    // biome-ignore lint/suspicious/noThenProperty: OpenSearch's client answers exactly such a thenable
    then: (ok: (v: unknown) => unknown, no: (e: unknown) => unknown) => p.then(ok, no),
    abort() {
      setImmediate(() => reject(new Error("Request aborted")));
      return request;
    },
  };
  return { search: () => request } as unknown as Client;
}

describe("search handler", () => {
  it("ends a search its caller cancelled with the cancellation, not an uncaught error", async () => {
    const controller = new AbortController();
    const call = {
      signal: controller.signal,
      remainingMs: () => 1_000,
      metadata: {},
      logger: createLogger("search-test", { level: "silent" }),
      caller: "gateway",
    } as CallContext;
    const pending = searchHandlers(hangingSearch(), "products").search(
      create(SearchRequestSchema, { query: "lantern" }),
      call,
    );
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    // An uncaught rejection would surface here, on the next turns, and fail the run.
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
});
