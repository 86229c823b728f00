/**
 * `npm run reindex` (or `npx tsx services/search/reindex.ts`): rebuilds the search index
 * from the catalog into `<alias>-v<N+1>` and swaps the alias; see reindexing.ts.
 * Env: OPENSEARCH_ENDPOINT, AWS_REGION, SEARCH_INDEX_ALIAS, CATALOG_ADDRESS.
 */
import { reindexMain } from "./reindexing.js";

await reindexMain();
