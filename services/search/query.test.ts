import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { SearchRequestSchema } from "../gen/platform/search/v1/search_pb.js";
import { ServiceError } from "../runtime/errors.js";
import {
  buildSearchBody,
  decodeCursor,
  encodeCursor,
  type IndexHit,
  parseSearchRequest,
  toPage,
} from "./query.js";

const request = (over: MessageInitShape<typeof SearchRequestSchema> = {}) =>
  create(SearchRequestSchema, { query: "trail shoes", ...over });

function problems(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).kind).toBe("invalidArgument");
    return { ...(err as ServiceError).details };
  }
  throw new Error("expected INVALID_ARGUMENT");
}

const hit = (id: string, sort: (string | number)[]): IndexHit => ({
  _id: id,
  _score: 1.5,
  _source: { id, name: `Product ${id}`, category: "shoes", price_minor: "1999", currency: "EUR" },
  sort,
});

describe("search request validation", () => {
  it("defaults the page size to 20 and accepts 1 to 100", () => {
    expect(parseSearchRequest(request()).limit).toBe(20);
    expect(parseSearchRequest(request({ page: { cursor: "", limit: 100 } })).limit).toBe(100);
    expect(problems(() => parseSearchRequest(request({ page: { cursor: "", limit: 101 } })))).toEqual({
      limit: "1 to 100",
    });
    expect(problems(() => parseSearchRequest(request({ page: { cursor: "", limit: -1 } })))).toHaveProperty(
      "limit",
    );
  });

  it("refuses a minimum price above the maximum and negative bounds", () => {
    expect(problems(() => parseSearchRequest(request({ minPriceMinor: 500n, maxPriceMinor: 100n })))).toEqual(
      {
        minPriceMinor: "must not exceed maxPriceMinor",
      },
    );
    expect(
      Object.keys(problems(() => parseSearchRequest(request({ minPriceMinor: -1n, maxPriceMinor: -2n })))),
    ).toEqual(["minPriceMinor", "maxPriceMinor"]);
  });

  it("treats a zero bound as no bound", () => {
    const params = parseSearchRequest(request({ minPriceMinor: 500n, maxPriceMinor: 0n }));
    expect([params.minPrice, params.maxPrice]).toEqual(["500", undefined]);
  });

  it("refuses over-long words", () => {
    expect(problems(() => parseSearchRequest(request({ query: "x".repeat(257) })))).toHaveProperty("query");
  });
});

describe("cursors", () => {
  const params = parseSearchRequest(request());

  it("round-trip the sort values of the last hit", () => {
    const cursor = encodeCursor("relevance", params.fingerprint, [0.4485, "id-9"]);
    expect(decodeCursor(cursor, "relevance", params.fingerprint)).toEqual([0.4485, "id-9"]);
    expect(parseSearchRequest(request({ page: { cursor, limit: 0 } })).after).toEqual([0.4485, "id-9"]);
  });

  it("refuse garbage and hand-made sort values", () => {
    for (const cursor of [
      "not-a-cursor",
      Buffer.from("[1,2]").toString("base64url"),
      encodeCursor("relevance", params.fingerprint, ["high", "id"]),
      encodeCursor("relevance", params.fingerprint, [1, 2 as unknown as string]),
    ]) {
      expect(problems(() => parseSearchRequest(request({ page: { cursor, limit: 0 } })))).toEqual({
        cursor: "malformed",
      });
    }
  });

  it("refuse a cursor of another search", () => {
    const cursor = encodeCursor("relevance", params.fingerprint, [1, "id"]);
    expect(
      problems(() => parseSearchRequest(request({ category: "hats", page: { cursor, limit: 0 } }))),
    ).toHaveProperty("cursor");
  });

  it("stay within the gateway's 2048-character cursor limit for the longest name a page can end on", () => {
    const longest = "漢".repeat(200); // catalog names: at most 200 characters
    const cursor = encodeCursor("name", params.fingerprint, [
      longest,
      "0b1e7c3a-7f57-4c2d-9d3e-2f0f1b9b6a11",
    ]);
    expect(cursor.length).toBeLessThan(2048);
  });

  it("are issued only when a further page exists", () => {
    const small = parseSearchRequest(request({ page: { cursor: "", limit: 2 } }));
    const full = toPage(small, [hit("a", [3, "a"]), hit("b", [2, "b"]), hit("c", [1, "c"])]);
    expect(full.hits.map((h) => h.productId)).toEqual(["a", "b"]);
    expect(decodeCursor(full.nextCursor, "relevance", small.fingerprint)).toEqual([2, "b"]);
    expect(toPage(small, [hit("a", [3, "a"]), hit("b", [2, "b"])]).nextCursor).toBe("");
  });
});

describe("the OpenSearch query", () => {
  it("matches words in name (boosted), its autocomplete sub-field and description, by relevance then id", () => {
    const body = buildSearchBody(parseSearchRequest(request({ page: { cursor: "", limit: 10 } })));
    expect(body.query.bool.must).toEqual([
      { multi_match: { query: "trail shoes", fields: ["name^3", "name.autocomplete", "description"] } },
    ]);
    expect(body.sort).toEqual([{ _score: { order: "desc" } }, { id: { order: "asc" } }]);
    expect(body.size).toBe(11);
    expect(body.track_total_hits).toBe(true);
    expect(Object.keys(body.highlight?.fields ?? {})).toEqual(["name", "name.autocomplete", "description"]);
    expect(body.highlight?.encoder).toBe("html");
  });

  it("lists everything by name when there are no words", () => {
    const body = buildSearchBody(parseSearchRequest(request({ query: "  " })));
    expect(body.query.bool.must).toEqual([{ match_all: {} }]);
    expect(body.sort[0]).toEqual({ "name.sort": { order: "asc", missing: "_last" } });
    expect(body).not.toHaveProperty("highlight");
  });

  it("filters by category and by price in minor units", () => {
    const body = buildSearchBody(
      parseSearchRequest(request({ category: "shoes", minPriceMinor: 1000n, maxPriceMinor: 5000n })),
    );
    expect(body.query.bool.filter).toEqual([
      { term: { category: "shoes" } },
      { range: { price_minor: { gte: "1000", lte: "5000" } } },
    ]);
  });

  it("continues after the cursor's sort values", () => {
    const cursor = encodeCursor("relevance", parseSearchRequest(request()).fingerprint, [0.5, "id-3"]);
    expect(buildSearchBody(parseSearchRequest(request({ page: { cursor, limit: 0 } }))).search_after).toEqual(
      [0.5, "id-3"],
    );
  });
});

describe("hits", () => {
  it("carry money in exact minor units and highlights by field, name falling back to its prefix match", () => {
    const params = parseSearchRequest(request());
    const [shaped] = toPage(params, [
      {
        ...hit("a", [1, "a"]),
        _source: {
          id: "a",
          name: "Trail",
          category: "shoes",
          price_minor: "900719925474099312",
          currency: "EUR",
        },
        highlight: { "name.autocomplete": ["<em>Trail</em>"], description: ["for <em>trails</em>"] },
      },
    ]).hits;
    expect(shaped?.price).toEqual({ amountMinor: 900719925474099312n, currency: "EUR" });
    expect(shaped?.highlights).toEqual({
      name: { fragments: ["<em>Trail</em>"] },
      description: { fragments: ["for <em>trails</em>"] },
    });
  });
});
