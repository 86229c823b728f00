import type { API } from "@opensearch-project/opensearch";

/**
 * The products index: its analysis, its strict mapping, and the names of its versions.
 * Searches and writes go through an alias (`products`) that points at one versioned index
 * (`products-v<N>`), so a reindex builds `products-v<N+1>` beside it and swaps the alias.
 */

/** Prefix grams of each word for search-as-you-type ("tra" finds "Trail"). */
const autocompleteGrams = { type: "edge_ngram", min_gram: 2, max_gram: 20 } as const;

type IndexBody = API.Indices_Create_RequestBody;

export const productAnalysis = {
  filter: { autocomplete_grams: autocompleteGrams },
  analyzer: {
    // Word prefixes at index time; the whole words of the query at search time, so "trai"
    // matches the gram "trai" of "trail" and not every word sharing "tr".
    autocomplete: {
      type: "custom",
      tokenizer: "standard",
      filter: ["lowercase", "asciifolding", "autocomplete_grams"],
    },
    autocomplete_search: { type: "custom", tokenizer: "standard", filter: ["lowercase", "asciifolding"] },
  },
  normalizer: { sort_key: { type: "custom", filter: ["lowercase", "asciifolding"] } },
} satisfies NonNullable<IndexBody["settings"]>["analysis"];

export const productMappings = {
  dynamic: "strict",
  properties: {
    id: { type: "keyword" },
    sku: { type: "keyword" },
    name: {
      type: "text",
      analyzer: "english",
      fields: {
        autocomplete: { type: "text", analyzer: "autocomplete", search_analyzer: "autocomplete_search" },
        // The name order of a listing without words; catalog names are at most 200 characters.
        sort: { type: "keyword", normalizer: "sort_key", ignore_above: 256 },
      },
    },
    description: { type: "text", analyzer: "english" },
    category: { type: "keyword" },
    currency: { type: "keyword" },
    // Sent as the catalog's decimal string: OpenSearch parses it into a long exactly.
    price_minor: { type: "long" },
    stock: { type: "integer" },
    version: { type: "integer" },
    created_at: { type: "date" },
    updated_at: { type: "date" },
  },
} satisfies IndexBody["mappings"];

/**
 * How often new writes become searchable, set explicitly on purpose: left unset, a shard
 * that has seen no search for 30 s ("search idle") stops refreshing, and the next search
 * waits for the refresh of everything indexed meanwhile. After a quiet spell that first
 * search took over a second on a busy machine, past the gateway's 1 s read deadline. Set,
 * the shard refreshes every second whatever the traffic, and no search waits.
 */
export const productRefreshInterval = "1s";

/**
 * Settings and mappings of a new index. One primary shard: a catalog is small, and one
 * shard keeps relevance scores exact. Replicas come from the deployment: two on a
 * three-zone domain keeps a full copy in every zone.
 */
export function productIndexBody(replicas: number): IndexBody {
  return {
    settings: {
      number_of_shards: 1,
      number_of_replicas: replicas,
      refresh_interval: productRefreshInterval,
      analysis: productAnalysis,
    },
    mappings: productMappings,
  };
}

/** `products` and 3 -> `products-v3`. */
export const versionedIndexName = (alias: string, version: number) => `${alias}-v${version}`;

/** The version of an index of this alias (`products-v3` -> 3), or undefined for any other name. */
export function indexVersion(alias: string, index: string): number | undefined {
  const prefix = `${alias}-v`;
  if (!index.startsWith(prefix)) return undefined;
  const rest = index.slice(prefix.length);
  return /^[1-9]\d{0,8}$/.test(rest) ? Number(rest) : undefined;
}

/** What OpenSearch accepts as an index or alias name, kept to a safe subset. */
export const aliasPattern = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
