/** The local OpenSearch (local/opensearch.ts) as the search service uses it, through its official client. */
import { randomBytes } from "node:crypto";
import { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const index = `test-local-${randomBytes(4).toString("hex")}`;
let client: Client;

beforeAll(async () => {
  const node = inject("servers")["PLATFORM_OPENSEARCH_URL"];
  if (!node)
    throw new Error(
      "no OpenSearch: integration tests run in the integration project (test/servers-setup.ts)",
    );
  client = new Client({ node });
  await client.indices.create({
    index,
    body: {
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: {
        dynamic: "strict",
        properties: {
          sku: { type: "keyword" },
          title: { type: "text", analyzer: "english" },
          description: { type: "text", analyzer: "english" },
          // mapper-extras: a module the bare integ-test zips before 3.5 lack.
          price: { type: "scaled_float", scaling_factor: 100 },
        },
      },
    },
  });
});
afterAll(async () => {
  await client?.indices.delete({ index }).catch(() => {});
  await client?.close();
});

describe("local OpenSearch", () => {
  it("finds an indexed document with a match query and highlights the matched words", async () => {
    await client.index({
      index,
      id: "sku-1",
      body: {
        sku: "sku-1",
        title: "Trail Running Shoes",
        description: "Light shoes for runners",
        price: 89.9,
      },
      refresh: "wait_for",
    });
    await client.index({
      index,
      id: "sku-2",
      body: { sku: "sku-2", title: "Rain Jacket", description: "Keeps you dry", price: 120 },
      refresh: "wait_for",
    });

    const res = await client.search({
      index,
      body: {
        query: { match: { title: "run" } },
        highlight: { fields: { title: {} } },
      },
    });
    const hits = res.body.hits.hits;
    expect(res.body.hits.total).toEqual({ value: 1, relation: "eq" });
    expect(hits.map((h) => h._id)).toEqual(["sku-1"]);
    expect(hits[0]!._source).toMatchObject({ sku: "sku-1", price: 89.9 });
    // The english analyzer stems "run" and "Running" alike.
    expect(hits[0]!.highlight?.["title"]).toEqual(["Trail <em>Running</em> Shoes"]);
  });

  it("refuses a field the strict mapping does not declare", async () => {
    await expect(client.index({ index, id: "bad", body: { sku: "x", colour: "red" } })).rejects.toMatchObject(
      { statusCode: 400 },
    );
  });
});
