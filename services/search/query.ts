import { createHash } from "node:crypto";
import type { SearchRequest } from "../gen/platform/search/v1/search_pb.js";
import { invalidArgument } from "../runtime/errors.js";

/**
 * A Search request as the index sees it: validated words, filters and page. Words rank
 * by relevance; without words the listing is by name. Either order ends with the id, so
 * it is total and `search_after` visits every hit once.
 */
export interface SearchParams {
  readonly words: string;
  readonly category: string;
  /** Inclusive bounds in minor units, as decimal strings; undefined means unbounded. */
  readonly minPrice: string | undefined;
  readonly maxPrice: string | undefined;
  readonly limit: number;
  /** Sort values of the last hit of the previous page. */
  readonly after: readonly SortValue[] | undefined;
  /** Identifies the search, so a cursor is not replayed against another one. */
  readonly fingerprint: string;
}

type SortValue = string | number;
type Order = "relevance" | "name";

export const defaultLimit = 20;
const maxLimit = 100;
const maxWords = 256;

const orderOf = (words: string): Order => (words ? "relevance" : "name");

function fingerprint(words: string, category: string, min: bigint, max: bigint): string {
  return createHash("sha256")
    .update(JSON.stringify([words, category, String(min), String(max)]))
    .digest("base64url")
    .slice(0, 12);
}

/** Opaque cursor: base64url JSON of the order, the search's fingerprint and the sort values. */
export function encodeCursor(order: Order, search: string, after: readonly SortValue[]): string {
  return Buffer.from(JSON.stringify({ o: order, s: search, a: after })).toString("base64url");
}

const malformed = () => invalidArgument("the cursor is not one this API returned", { cursor: "malformed" });

/** The sort values a cursor carries; checked field by field, since they go into the query. */
export function decodeCursor(cursor: string, order: Order, search: string): SortValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString());
  } catch {
    throw malformed();
  }
  const { o, s, a } = (parsed ?? {}) as { o?: unknown; s?: unknown; a?: unknown };
  if (typeof s !== "string" || !Array.isArray(a) || a.length !== 2 || typeof a[1] !== "string")
    throw malformed();
  if (s !== search || o !== order)
    throw invalidArgument("the cursor belongs to another search", {
      cursor: "continue with the same words and filters, or start without a cursor",
    });
  const [first, id] = a as [unknown, string];
  const valid =
    order === "relevance" ? typeof first === "number" && Number.isFinite(first) : typeof first === "string";
  if (!valid) throw malformed();
  return [first as SortValue, id];
}

/** Validates a request; every problem is an INVALID_ARGUMENT naming its field. */
export function parseSearchRequest(request: SearchRequest): SearchParams {
  const words = request.query.trim();
  const problems: Record<string, string> = {};
  if (words.length > maxWords) problems["query"] = `at most ${maxWords} characters`;
  if (request.category.length > 64) problems["category"] = "at most 64 characters";
  const limit = request.page?.limit ?? 0;
  if (limit < 0 || limit > maxLimit) problems["limit"] = `1 to ${maxLimit}`;
  const min = request.minPriceMinor;
  const max = request.maxPriceMinor;
  if (min < 0n) problems["minPriceMinor"] = "0 or more minor units";
  if (max < 0n) problems["maxPriceMinor"] = "0 or more minor units";
  else if (max > 0n && min > max) problems["minPriceMinor"] = "must not exceed maxPriceMinor";
  if (Object.keys(problems).length > 0) throw invalidArgument("invalid search", problems);

  const search = fingerprint(words, request.category, min, max);
  const cursor = request.page?.cursor ?? "";
  return {
    words,
    category: request.category,
    minPrice: min > 0n ? String(min) : undefined,
    maxPrice: max > 0n ? String(max) : undefined,
    limit: limit || defaultLimit,
    after: cursor ? decodeCursor(cursor, orderOf(words), search) : undefined,
    fingerprint: search,
  };
}

/** Where words are looked for: the name (weighted most), its word prefixes, the description. */
export const searchedFields = ["name^3", "name.autocomplete", "description"] as const;

const ascending = (field: string, options: { missing?: "_last" } = {}) => ({
  [field]: { order: "asc" as const, ...options },
});
const relevanceOrder = [{ _score: { order: "desc" as const } }, ascending("id")];
const nameOrder = [ascending("name.sort", { missing: "_last" }), ascending("id")];

/**
 * The OpenSearch request body: one more hit than the page, so the page knows whether a
 * next one exists without an empty last page.
 */
export function buildSearchBody(params: SearchParams) {
  const filter: object[] = [];
  if (params.category) filter.push({ term: { category: params.category } });
  if (params.minPrice || params.maxPrice)
    filter.push({
      range: {
        price_minor: {
          ...(params.minPrice ? { gte: params.minPrice } : {}),
          ...(params.maxPrice ? { lte: params.maxPrice } : {}),
        },
      },
    });
  const must = params.words
    ? [{ multi_match: { query: params.words, fields: [...searchedFields] } }]
    : [{ match_all: {} }];
  const sort = orderOf(params.words) === "relevance" ? relevanceOrder : nameOrder;
  return {
    query: { bool: { must, filter } },
    sort,
    size: params.limit + 1,
    track_total_hits: true,
    _source: ["id", "name", "category", "price_minor", "currency"],
    ...(params.after ? { search_after: [...params.after] } : {}),
    ...(params.words
      ? {
          highlight: {
            // Escapes the product's own text, so only <em> is markup in a fragment.
            encoder: "html" as const,
            pre_tags: ["<em>"],
            post_tags: ["</em>"],
            fields: {
              name: { number_of_fragments: 0 },
              "name.autocomplete": { number_of_fragments: 0 },
              description: { fragment_size: 150, number_of_fragments: 3 },
            },
          },
        }
      : {}),
  };
}

export interface IndexHit {
  readonly _id: string;
  readonly _score?: number | null;
  readonly _source?: {
    id?: string;
    name?: string;
    category?: string;
    price_minor?: string | number;
    currency?: string;
  };
  readonly highlight?: Record<string, string[]>;
  readonly sort?: SortValue[];
}

/** Fragments by field: "name" falls back to the search-as-you-type match of a word prefix. */
export function highlightsOf(hit: IndexHit): Record<string, { fragments: string[] }> {
  const h = hit.highlight ?? {};
  const result: Record<string, { fragments: string[] }> = {};
  const name = h["name"] ?? h["name.autocomplete"];
  if (name?.length) result["name"] = { fragments: name };
  if (h["description"]?.length) result["description"] = { fragments: h["description"] };
  return result;
}

export function toSearchHit(hit: IndexHit) {
  const s = hit._source ?? {};
  return {
    productId: s.id ?? hit._id,
    name: s.name ?? "",
    category: s.category ?? "",
    price: { amountMinor: BigInt(s.price_minor ?? 0), currency: s.currency ?? "" },
    score: typeof hit._score === "number" ? hit._score : 0,
    highlights: highlightsOf(hit),
  };
}

/** The page's hits and the cursor after its last one (empty on the last page). */
export function toPage(params: SearchParams, hits: readonly IndexHit[]) {
  const page = hits.slice(0, params.limit);
  const last = hits.length > params.limit ? page[page.length - 1] : undefined;
  return {
    hits: page.map(toSearchHit),
    nextCursor:
      last?.sort && last.sort.length === 2
        ? encodeCursor(orderOf(params.words), params.fingerprint, last.sort)
        : "",
  };
}
