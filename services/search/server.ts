import { file_platform_search_v1_search, SearchService } from "../gen/platform/search/v1/search_pb.js";
import type { ServiceDefinition } from "../runtime/run-service.js";
import { productFromEvent } from "./documents.js";
import { searchHandlers } from "./handlers.js";
import { writeProducts } from "./indexer.js";
import { connectOpenSearch, ensureAlias, opensearchEnv, waitForOpenSearch } from "./opensearch.js";
import spec from "./service.js";

const env = opensearchEnv;

/**
 * The search service: full-text product search on OpenSearch, indexed from catalog events.
 * It has no database: each event's product is written with the catalog's version as an
 * external version, so redelivered, late or reordered events never win over newer state.
 */
export const definition: ServiceDefinition<typeof SearchService, typeof env> = {
  spec,
  rpc: { service: SearchService, file: file_platform_search_v1_search },
  env,
  async start({ config, logger }) {
    const client = connectOpenSearch(config);
    const alias = config.SEARCH_INDEX_ALIAS;
    // The server (and with it health SERVING) starts only after this returns: OpenSearch
    // reachable and the alias in place.
    await waitForOpenSearch(client, logger);
    const index = await ensureAlias(client, config, logger);
    logger.info({ alias, index }, "search index ready");
    return {
      handlers: searchHandlers(client, alias),
      async consume(events) {
        const products = events.map(productFromEvent).filter((p) => p !== undefined);
        const outcome = await writeProducts(client, alias, products);
        logger.debug({ products: products.length, ...outcome }, "products indexed");
      },
      close: [() => client.close()],
    };
  },
};
