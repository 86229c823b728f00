import type { Client } from "@opensearch-project/opensearch";
import type { SearchService } from "../gen/platform/search/v1/search_pb.js";
import type { Handlers } from "../runtime/rpc/server.js";
import { unavailable } from "./opensearch.js";
import { buildSearchBody, type IndexHit, parseSearchRequest, toPage } from "./query.js";

interface SearchResponseBody {
  hits: { total?: { value: number }; hits: IndexHit[] };
}

/** The search RPCs: validate, ask the index through the alias, shape the page. */
export function searchHandlers(client: Client, alias: string): Handlers<typeof SearchService> {
  return {
    async search(request, call) {
      const params = parseSearchRequest(request);
      const pending = client.search(
        {
          index: alias,
          body: buildSearchBody(params),
          // The same shard copies answer every page of one search, so scores (and with
          // them the relevance order) do not shift between replicas from page to page. A
          // custom preference must not start with "_", which base64url may.
          preference: `search-${params.fingerprint}`,
        },
        { requestTimeout: Math.max(100, Math.min(call.remainingMs() - 50, 10_000)) },
      );
      // Returns nothing: abort() returns the request, a thenable, and an EventTarget listener's
      // returned thenable that rejects (as an aborted request does) is rethrown uncaught.
      const abort = () => {
        pending.abort();
      };
      call.signal.addEventListener("abort", abort, { once: true });
      try {
        const res = await pending;
        const body = res.body as unknown as SearchResponseBody;
        return { ...toPage(params, body.hits.hits), total: BigInt(body.hits.total?.value ?? 0) };
      } catch (err) {
        if (call.signal.aborted) throw call.signal.reason; // an AbortError: the caller left
        throw unavailable(err) ?? err;
      } finally {
        call.signal.removeEventListener("abort", abort);
      }
    },
  };
}
