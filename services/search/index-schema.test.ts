import { describe, expect, it } from "vitest";
import { indexVersion, productIndexBody, productMappings, versionedIndexName } from "./index-schema.js";

describe("the products index", () => {
  it("maps every product field explicitly and refuses unknown ones", () => {
    expect(productMappings.dynamic).toBe("strict");
    const types = Object.fromEntries(Object.entries(productMappings.properties).map(([k, v]) => [k, v.type]));
    expect(types).toEqual({
      id: "keyword",
      sku: "keyword",
      name: "text",
      description: "text",
      category: "keyword",
      currency: "keyword",
      price_minor: "long",
      stock: "integer",
      version: "integer",
      created_at: "date",
      updated_at: "date",
    });
  });

  it("analyses name and description as English, with a search-as-you-type name sub-field", () => {
    const { name, description } = productMappings.properties;
    expect([name.analyzer, description.analyzer]).toEqual(["english", "english"]);
    expect(name.fields.autocomplete).toEqual({
      type: "text",
      analyzer: "autocomplete",
      search_analyzer: "autocomplete_search",
    });
    const analysis = productIndexBody(0).settings?.analysis;
    expect(analysis?.analyzer?.["autocomplete"]).toMatchObject({
      filter: expect.arrayContaining(["autocomplete_grams"]),
    });
    expect(analysis?.filter?.["autocomplete_grams"]).toMatchObject({ type: "edge_ngram" });
  });

  it("refreshes every second whatever the search traffic, so no shard goes search idle", () => {
    expect(productIndexBody(0).settings).toMatchObject({ refresh_interval: "1s" });
  });

  it("takes its replica count from the deployment", () => {
    expect(productIndexBody(2).settings).toMatchObject({ number_of_shards: 1, number_of_replicas: 2 });
  });

  it("names versions after the alias and reads them back", () => {
    expect(versionedIndexName("products", 3)).toBe("products-v3");
    expect(indexVersion("products", "products-v12")).toBe(12);
    expect(indexVersion("products", "products-v0")).toBeUndefined();
    expect(indexVersion("products", "products-vx")).toBeUndefined();
    expect(indexVersion("products", "other-v1")).toBeUndefined();
  });
});
