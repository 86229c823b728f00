import type { Client } from "@opensearch-project/opensearch";
import { z } from "zod";
import catalogSpec from "../catalog/service.js";
import { CatalogService } from "../gen/platform/catalog/v1/catalog_pb.js";
import { loadConfig } from "../runtime/config.js";
import { createLogger, type Logger } from "../runtime/logger.js";
import {
  balancerEnv,
  balancerSettings,
  createBalancedClient,
  replicaAddresses,
} from "../runtime/rpc/balancer.js";
import { callerEnv } from "../runtime/rpc/caller-config.js";
import { CallerIdentity } from "../runtime/rpc/caller-identity.js";
import type { Client as RpcClient } from "../runtime/rpc/client.js";
import { productFromCatalog } from "./documents.js";
import { indexVersion } from "./index-schema.js";
import { writeProducts } from "./indexer.js";
import {
  aliasTarget,
  connectOpenSearch,
  createVersionedIndex,
  type OpenSearchConfig,
  opensearchEnv,
  waitForOpenSearch,
} from "./opensearch.js";

/**
 * Rebuilds the index from the catalog without downtime or lost updates:
 *
 * 1. create `<alias>-v<N+1>` beside the live `<alias>-v<N>` (creation fails if it exists,
 *    so two reindexes cannot run at once);
 * 2. copy every product from the catalog's ListProducts (the source of truth);
 * 3. swap the alias in one atomic `_aliases` call: searches and the consumer's writes move
 *    to the new index together;
 * 4. copy the catalog once more: an update the consumer wrote to the old index between
 *    step 2 reading that product and step 3 is in the catalog by now, so this pass brings
 *    it over. External versions make the second copy safe: what the consumer already wrote
 *    to the new index, if newer, is kept;
 * 5. delete the old index.
 *
 * Searches keep answering from the old index until step 3, and from the new one after.
 */
export type ReindexStep = "created" | "copied" | "swapped" | "caught-up" | "deleted-old";

export interface ReindexOptions {
  readonly client: Client;
  readonly catalog: Pick<RpcClient<typeof CatalogService>, "listProducts">;
  readonly config: Pick<OpenSearchConfig, "SEARCH_INDEX_ALIAS" | "SEARCH_INDEX_REPLICAS">;
  readonly logger: Logger;
  /** Called after each step (and awaited): progress reports, and tests that act in between. */
  readonly onStep?: (step: ReindexStep, index: string) => Promise<void> | void;
  readonly pageSize?: number;
}

export interface ReindexResult {
  readonly previous: string | undefined;
  readonly index: string;
  readonly products: number;
}

/** Copies every catalog product into `index`, a page at a time. */
async function copyCatalog(options: ReindexOptions, index: string): Promise<number> {
  let cursor = "";
  let products = 0;
  do {
    const page = await options.catalog.listProducts(
      { page: { cursor, limit: options.pageSize ?? 100 } },
      { timeoutMs: 10_000, idempotent: true },
    );
    await writeProducts(options.client, index, page.products.map(productFromCatalog), {
      requireAlias: false,
    });
    products += page.products.length;
    cursor = page.nextCursor;
  } while (cursor);
  return products;
}

export async function rebuildIndex(options: ReindexOptions): Promise<ReindexResult> {
  const { client, config, logger } = options;
  const alias = config.SEARCH_INDEX_ALIAS;
  const step = async (name: ReindexStep, index: string) => {
    logger.info({ alias, index, step: name }, `reindex: ${name}`);
    await options.onStep?.(name, index);
  };

  const previous = await aliasTarget(client, alias);
  const version = previous === undefined ? 1 : (indexVersion(alias, previous) ?? 0) + 1;
  const index = await createVersionedIndex(client, config, version, { withAlias: false }).catch(
    (err: Error) => {
      throw new Error(
        `cannot create ${alias}-v${version} (${err.message}): another reindex is running, or a failed one ` +
          `left the index behind; if none is running, delete ${alias}-v${version} and try again`,
      );
    },
  );
  await step("created", index);

  try {
    await copyCatalog(options, index);
    await client.indices.refresh({ index });
    await step("copied", index);
    await client.indices.updateAliases({
      body: {
        actions: [
          ...(previous ? [{ remove: { index: previous, alias } }] : []),
          { add: { index, alias, is_write_index: true } },
        ],
      },
    });
  } catch (err) {
    // Not yet live: the old index still serves, so the half-built one goes.
    await client.indices.delete({ index }).catch(() => undefined);
    throw err;
  }
  await step("swapped", index);

  const products = await copyCatalog(options, index);
  await client.indices.refresh({ index });
  await step("caught-up", index);
  if (previous) {
    await client.indices.delete({ index: previous });
    await step("deleted-old", previous);
  }
  return { previous, index, products };
}

/** What the reindex command reads; it runs in search's pod (`node main.mjs reindex`), so the pod sets it all. */
export const reindexEnv = z.object({
  ...opensearchEnv,
  // The source of the rebuild; its replicas are balanced like a service's callees.
  CATALOG_ADDRESS: replicaAddresses("catalog", catalogSpec.port),
  ...balancerEnv,
  // Search's own call key: catalog admits the rebuild's reads as search's.
  ...callerEnv,
});

/** `reindex`: the command behind `npm run reindex` and `node main.mjs reindex`. */
export async function reindexCommand(
  env: NodeJS.ProcessEnv = process.env,
  logger = createLogger("search-reindex", { level: env["LOG_LEVEL"] }),
): Promise<ReindexResult> {
  const config = loadConfig(reindexEnv, env);
  const client = connectOpenSearch(config);
  const catalog = createBalancedClient(CatalogService, config.CATALOG_ADDRESS, {
    timeoutMs: 10_000,
    caller: new CallerIdentity("search", config.CALL_SIGNING_KEY.privateKey).towards("catalog"),
    ...balancerSettings(config),
  });
  try {
    await waitForOpenSearch(client, logger);
    const result = await rebuildIndex({ client, catalog, config, logger });
    logger.info(result, "reindex done");
    return result;
  } finally {
    catalog.close();
    await client.close();
  }
}

/** Runs the command as a process: a failure is one log line and exit code 1. */
export async function reindexMain(): Promise<void> {
  const logger = createLogger("search-reindex");
  try {
    await reindexCommand(process.env, logger);
  } catch (err) {
    logger.error({ err }, `reindex failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
