/**
 * Search over real Kafka, OpenSearch and the real catalog: products are created and changed
 * through the catalog's gRPC API, reach search as catalog events, and are found through the
 * Search RPC. Other test files publish catalog events to the same topic at the same time,
 * so every assertion is scoped to words, categories and ids made here.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Client as OpenSearch } from "@opensearch-project/opensearch";
import { Admin, Consumer, stringDeserializers } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deadLetterTopic, eventsTopic } from "../../contracts/service-spec.js";
import { type TestCallers, testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers, testRedis } from "../../test/databases.js";
import { definition as catalogDefinition } from "../catalog/server.js";
import { CatalogService } from "../gen/platform/catalog/v1/catalog_pb.js";
import { SearchService } from "../gen/platform/search/v1/search_pb.js";
import { newEvent } from "../runtime/events.js";
import { createProducer } from "../runtime/kafka.js";
import { createLogger } from "../runtime/logger.js";
import { type Client, createClient, Status } from "../runtime/rpc/client.js";
import { type RunningService, runService } from "../runtime/run-service.js";
import type { ProductDocument } from "./documents.js";
import { indexVersion } from "./index-schema.js";
import { aliasTarget, ensureAlias, type opensearchEnv } from "./opensearch.js";
import { rebuildIndex, reindexCommand } from "./reindexing.js";
import { definition as searchDefinition } from "./server.js";

const run = randomBytes(4).toString("hex");
const alias = `test-search-${run}`;
const topic = eventsTopic("catalog");
const admin = { userId: "u-admin", roles: ["admin"], method: "jwt" };
const logger = createLogger("search-test", { level: "silent" });

let catalogService: RunningService;
let searchService: RunningService;
let catalog: Client<typeof CatalogService>;
let search: Client<typeof SearchService>;
let opensearch: OpenSearch;
let dropDatabase: () => Promise<void>;
const created: string[] = [];

/** Words no other product (of this or another test file) contains. */
const word = (label: string) => `${label}${run}${randomBytes(3).toString("hex")}`;

async function createProduct(over: {
  name: string;
  category?: string;
  price?: bigint;
  description?: string;
}) {
  const { product } = await catalog.createProduct({
    principal: admin,
    sku: `S-${randomBytes(5).toString("hex").toUpperCase()}`,
    name: over.name,
    description: over.description ?? "A product made by the search test",
    category: over.category ?? `cat-${run}`,
    price: { amountMinor: over.price ?? 1999n, currency: "EUR" },
    stock: 3,
  });
  created.push(product!.id);
  return product!;
}

/** Polls `read` until `done` holds; fails after `timeoutMs` with the last value seen. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000) {
  const started = performance.now();
  let last: T | undefined;
  while (performance.now() - started < timeoutMs) {
    last = await read();
    if (done(last)) return { value: last, ms: performance.now() - started };
    await sleep(50);
  }
  throw new Error(`not reached within ${timeoutMs} ms; last: ${JSON.stringify(last, bigints)}`);
}
const bigints = (_key: string, v: unknown) => (typeof v === "bigint" ? String(v) : v);

/** Every hit of a search, following cursors; fails on a repeated hit. */
async function allPages(request: { query?: string; category?: string }, limit: number) {
  const ids: string[] = [];
  let cursor = "";
  let pages = 0;
  do {
    const page = await search.search({ ...request, page: { cursor, limit } });
    ids.push(...page.hits.map((h) => h.productId));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 50);
  return { ids, pages };
}

/** Publishes catalog product events as the catalog would, all on one key (so in order). */
async function publish(key: string, products: unknown[]) {
  const producer = createProducer(
    { KAFKA_BROKERS: testKafkaBrokers(), KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" },
    `search-test-${run}`,
  );
  const events = products.map((product) =>
    newEvent("catalog", {
      entity: "product",
      entityId: (product as { id: string }).id,
      action: "updated",
      actor: "search-test",
      data: { product },
    }),
  );
  try {
    await producer.send({
      messages: events.map((e) => ({ topic, key, value: JSON.stringify(e) })),
      acks: -1,
    });
  } finally {
    await producer.close();
  }
  return events;
}

/** The dead-lettered message of an event, read from the start of search's dead-letter topic. */
async function deadLettered(eventId: string, timeoutMs = 10_000) {
  const consumer = new Consumer({
    clientId: `search-test-${run}`,
    groupId: `search-test-dlq-${run}-${randomBytes(3).toString("hex")}`,
    bootstrapBrokers: testKafkaBrokers().split(","),
    deserializers: stringDeserializers,
  });
  const stream = await consumer.consume({
    topics: [deadLetterTopic("search")],
    mode: "earliest",
    autocommit: false,
    maxWaitTime: 200,
  });
  const timer = setTimeout(() => void stream.close(), timeoutMs);
  try {
    for await (const message of stream) {
      if ((JSON.parse(message.value ?? "{}") as { id?: string }).id === eventId) return message.headers;
    }
    return undefined;
  } finally {
    clearTimeout(timer);
    await stream.close();
    await consumer.close();
  }
}

/** Starts the group at the topic's end: the test needs none of the topic's history. */
async function skipHistory(group: string) {
  const kafka = new Admin({
    clientId: `search-test-${run}`,
    bootstrapBrokers: testKafkaBrokers().split(","),
  });
  try {
    const [listed] = await kafka.listOffsets({
      topics: [{ name: topic, partitions: [0, 1, 2].map((p) => ({ partitionIndex: p, timestamp: -1n })) }],
    });
    await kafka.alterConsumerGroupOffsets({
      groupId: group,
      topics: [
        {
          name: topic,
          partitionOffsets: listed!.partitions.map((p) => ({
            partition: p.partitionIndex,
            offset: p.offset,
          })),
        },
      ],
    });
  } finally {
    await kafka.close();
  }
}

const opensearchUrl = () => {
  const url = inject("servers")["PLATFORM_OPENSEARCH_URL"];
  if (!url) throw new Error("no OpenSearch: integration tests run in the integration project");
  return url;
};

let callers: TestCallers;

beforeAll(async () => {
  callers = await testCallers();
  const database = await createTestDatabase("search");
  dropDatabase = database.drop;
  catalogService = await runService(catalogDefinition, {
    POSTGRES_URL: database.url,
    REDIS_URL: testRedis("search").url,
    KAFKA_BROKERS: testKafkaBrokers(),
    PORT: "0",
    LOG_LEVEL: "silent",
    ...callers.env("catalog"),
  });
  const group = `search-test-${run}`;
  await skipHistory(group);
  searchService = await runService(searchDefinition, {
    OPENSEARCH_ENDPOINT: opensearchUrl(),
    SEARCH_INDEX_ALIAS: alias,
    SEARCH_INDEX_REPLICAS: "0",
    KAFKA_BROKERS: testKafkaBrokers(),
    KAFKA_TOPICS: topic,
    KAFKA_CONSUMER_GROUP: group,
    PORT: "0",
    LOG_LEVEL: "silent",
    ...callers.env("search"),
  });
  catalog = createClient(CatalogService, `127.0.0.1:${catalogService.port}`, {
    timeoutMs: 5_000,
    caller: callers.as("gateway", "catalog"),
  });
  search = createClient(SearchService, `127.0.0.1:${searchService.port}`, {
    timeoutMs: 5_000,
    caller: callers.as("gateway", "search"),
  });
  opensearch = new OpenSearch({ node: opensearchUrl() });
});

afterAll(async () => {
  catalog?.close();
  search?.close();
  await searchService?.stop();
  await catalogService?.stop();
  await dropDatabase?.();
  await opensearch?.indices.delete({ index: `${alias}-v*` }).catch(() => undefined);
  await opensearch?.close();
});

describe("search indexed from catalog events", () => {
  it("has created its index and alias before serving", async () => {
    expect(await aliasTarget(opensearch, alias)).toBe(`${alias}-v1`);
  });

  it("reflects a product update within a bounded time", async () => {
    const before = word("before");
    const after = word("after");
    const product = await createProduct({ name: `Trail shoes ${before}` });
    const indexed = await eventually(
      () => search.search({ query: before }),
      (r) => r.hits.some((h) => h.productId === product.id),
    );
    await catalog.updateProduct({ principal: admin, id: product.id, name: `Trail shoes ${after}` });
    const updated = await eventually(
      () => search.search({ query: after }),
      (r) => r.hits.some((h) => h.productId === product.id),
    );
    console.info(
      `search latency (catalog write -> searchable): create ${indexed.ms.toFixed(0)} ms, update ${updated.ms.toFixed(0)} ms`,
    );
    expect(updated.ms).toBeLessThan(10_000);
    expect((await search.search({ query: before })).hits).toEqual([]);
  });

  it("highlights the matched words in name and description", async () => {
    const needle = word("needle");
    const product = await createProduct({
      name: `Rain jacket ${needle}`,
      description: `Keeps you dry; the ${needle} edition <b>`,
    });
    const { value } = await eventually(
      () => search.search({ query: needle }),
      (r) => r.hits.length === 1,
    );
    const [hit] = value.hits;
    expect(hit).toMatchObject({ productId: product.id, name: `Rain jacket ${needle}` });
    expect(hit!.score).toBeGreaterThan(0);
    expect(hit!.highlights["name"]?.fragments).toEqual([`Rain jacket <em>${needle}</em>`]);
    expect(hit!.highlights["description"]?.fragments).toEqual([
      `Keeps you dry; the <em>${needle}</em> edition &lt;b&gt;`,
    ]);
  });

  it("finds a product from the first letters of a word in its name", async () => {
    const name = word("autocompletion");
    const product = await createProduct({ name: `Tent ${name}` });
    const { value } = await eventually(
      () => search.search({ query: name.slice(0, 18) }),
      (r) => r.hits.some((h) => h.productId === product.id),
    );
    expect(value.hits[0]?.highlights["name"]?.fragments[0]).toContain(`<em>${name}</em>`);
  });

  it("filters by category and by price in minor units", async () => {
    const category = `filter-${run}`;
    const cheap = await createProduct({ name: "Socks", category, price: 500n });
    const middle = await createProduct({ name: "Boots", category, price: 15_000n });
    const dear = await createProduct({ name: "Skis", category, price: 60_000n });
    await eventually(
      () => search.search({ category }),
      (r) => r.total === 3n,
    );
    const ranged = await search.search({ category, minPriceMinor: 1_000n, maxPriceMinor: 20_000n });
    expect(ranged.hits.map((h) => h.productId)).toEqual([middle.id]);
    expect(ranged.hits[0]?.price).toMatchObject({ amountMinor: 15_000n, currency: "EUR" });
    expect((await search.search({ category, minPriceMinor: 15_000n })).hits.map((h) => h.productId)).toEqual([
      middle.id,
      dear.id,
    ]);
    expect((await search.search({ category, maxPriceMinor: 500n })).hits.map((h) => h.productId)).toEqual([
      cheap.id,
    ]);
    expect((await search.search({ category: `other-${run}` })).total).toBe(0n);
  });

  it("pages with cursors through every hit exactly once, by name and by relevance", async () => {
    const category = `pages-${run}`;
    const shared = word("shared");
    const ids = new Set<string>();
    for (let i = 0; i < 23; i++) {
      const words = i % 2 === 0 ? `${shared} ${shared}` : shared; // two relevance levels
      ids.add((await createProduct({ name: `Item ${i} ${words}`, category })).id);
    }
    await eventually(
      () => search.search({ category }),
      (r) => r.total === 23n,
    );
    const byName = await allPages({ category }, 10);
    expect(byName.pages).toBe(3);
    expect(byName.ids).toHaveLength(23);
    expect(new Set(byName.ids)).toEqual(ids);
    const byRelevance = await allPages({ category, query: shared }, 4);
    expect(byRelevance.pages).toBe(6);
    expect(byRelevance.ids).toHaveLength(23);
    expect(new Set(byRelevance.ids)).toEqual(ids);
  });

  it("lets an older event replayed late never overwrite a newer document", async () => {
    const current = word("current");
    const product = await createProduct({ name: `Lamp ${word("first")}` });
    const { product: updated } = await catalog.updateProduct({
      principal: admin,
      id: product.id,
      name: `Lamp ${current}`,
    });
    await eventually(
      () => search.search({ query: current }),
      (r) => r.hits.length === 1,
    );
    const stale: ProductDocument = {
      id: product.id,
      sku: product.sku,
      name: `Lamp ${word("stale")}`,
      description: product.description,
      category: product.category,
      price_minor: "1",
      currency: "EUR",
      stock: 1,
      version: 1,
      created_at: product.createdAt,
      updated_at: product.updatedAt,
    };
    // A product only this test knows, on the same key (so the same partition) after the stale
    // event: once it is searchable, the stale event has been handled.
    const marker = word("marker");
    const markerProduct: ProductDocument = {
      ...stale,
      id: `marker-${run}`,
      name: `Marker ${marker}`,
      version: 1,
    };
    await publish(product.id, [stale, markerProduct]);
    await eventually(
      () => search.search({ query: marker }),
      (r) => r.hits.length === 1,
    );
    const found = await search.search({ query: current });
    expect(found.hits.map((h) => [h.productId, h.name])).toEqual([[product.id, `Lamp ${current}`]]);
    const stored = await opensearch.get({ index: alias, id: product.id });
    expect(stored.body._version).toBe(updated!.version);
  });

  it("parks a malformed product event on its dead-letter topic at once, without retries", async () => {
    const id = `broken-${run}`;
    const marker = word("marker");
    const [broken] = await publish(id, [
      { id, name: "no sku, no price" },
      {
        id: `marker-${run}-2`,
        sku: "M-1",
        name: `Marker ${marker}`,
        description: "",
        category: `cat-${run}`,
        price_minor: "1",
        currency: "EUR",
        stock: 1,
        version: 1,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      },
    ]);
    await eventually(
      () => search.search({ query: marker }),
      (r) => r.hits.length === 1,
    );
    const headers = await deadLettered(broken!.id);
    expect(headers?.get("dlq-attempts")).toBe("1");
    expect(headers?.get("dlq-reason")).toMatch(/carries no valid data.product/);
  });

  it("answers INVALID_ARGUMENT for a bad page size, a foreign cursor and a reversed price range", async () => {
    await expect(search.search({ page: { cursor: "", limit: 101 } })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: { limit: "1 to 100" },
    });
    await expect(search.search({ page: { cursor: "garbage", limit: 10 } })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: { cursor: "malformed" },
    });
    await expect(search.search({ minPriceMinor: 2_000n, maxPriceMinor: 1_000n })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
  });

  it("creates the index once when several instances start at the same moment", async () => {
    const fresh = `test-search-${run}-concurrent`;
    const config = { ...configDefaults(), SEARCH_INDEX_ALIAS: fresh };
    try {
      const targets = await Promise.all([1, 2, 3].map(() => ensureAlias(opensearch, config, logger)));
      expect(targets).toEqual([`${fresh}-v1`, `${fresh}-v1`, `${fresh}-v1`]);
      expect(await aliasTarget(opensearch, fresh)).toBe(`${fresh}-v1`);
    } finally {
      await opensearch.indices.delete({ index: `${fresh}-v1` }).catch(() => undefined);
    }
  });

  it("gives an index made without an explicit refresh interval one when it starts", async () => {
    const older = `test-search-${run}-older`;
    // As an index created before the setting existed: search-idle refreshes by default.
    await opensearch.indices.create({
      index: `${older}-v1`,
      body: { settings: { number_of_shards: 1, number_of_replicas: 0 }, aliases: { [older]: {} } },
    });
    try {
      const config = { ...configDefaults(), SEARCH_INDEX_ALIAS: older };
      const refreshInterval = async () => {
        const res = await opensearch.indices.getSettings({ index: `${older}-v1`, flat_settings: true });
        return (res.body as Record<string, { settings: Record<string, string> }>)[`${older}-v1`]?.settings[
          "index.refresh_interval"
        ];
      };
      expect(await refreshInterval()).toBeUndefined();
      expect(await ensureAlias(opensearch, config, logger)).toBe(`${older}-v1`);
      expect(await refreshInterval()).toBe("1s");
    } finally {
      await opensearch.indices.delete({ index: `${older}-v1` }).catch(() => undefined);
    }
  });

  it("reindexes from the catalog into a new index, swaps the alias, loses no update and keeps answering", async () => {
    const steady = word("steady");
    const steadyProduct = await createProduct({ name: `Kettle ${steady}` });
    await eventually(
      () => search.search({ query: steady }),
      (r) => r.hits.length === 1,
    );
    const during = word("during");
    const changed = await createProduct({ name: `Mug ${word("before")}` });

    // Searches keep running through the whole reindex.
    let answered = 0;
    const failures: string[] = [];
    let searching = true;
    const searches = (async () => {
      while (searching) {
        try {
          const r = await search.search({ query: steady });
          if (r.hits[0]?.productId === steadyProduct.id) answered++;
          else failures.push(`missed at ${answered}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
        await sleep(10);
      }
    })();

    const steps: string[] = [];
    const result = await rebuildIndex({
      client: opensearch,
      catalog,
      config: { SEARCH_INDEX_ALIAS: alias, SEARCH_INDEX_REPLICAS: 0 },
      logger,
      pageSize: 7,
      async onStep(step) {
        steps.push(step);
        if (step !== "copied") return;
        // The dangerous window: the new index is built, the alias still points at the old
        // one, and an update arrives. The consumer writes it to the old index.
        await catalog.updateProduct({ principal: admin, id: changed.id, name: `Mug ${during}` });
        await eventually(
          () => search.search({ query: during }),
          (r) => r.hits.length === 1,
        );
      },
    });
    searching = false;
    await searches;

    expect(steps).toEqual(["created", "copied", "swapped", "caught-up", "deleted-old"]);
    expect(result).toMatchObject({ previous: `${alias}-v1`, index: `${alias}-v2` });
    expect(await aliasTarget(opensearch, alias)).toBe(`${alias}-v2`);
    expect((await opensearch.indices.exists({ index: `${alias}-v1` })).body).toBe(false);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(0);

    // Every product of this file is in the new index, the update made during the reindex too.
    const count = await opensearch.count({ index: alias, body: { query: { ids: { values: created } } } });
    expect(count.body.count).toBe(created.length);
    expect((await search.search({ query: during })).hits.map((h) => h.productId)).toEqual([changed.id]);

    // And the consumer now writes to the new index.
    const later = word("later");
    await catalog.updateProduct({ principal: admin, id: changed.id, name: `Mug ${later}` });
    await eventually(
      () => search.search({ query: later }),
      (r) => r.hits.length === 1,
    );
    expect((await opensearch.get({ index: `${alias}-v2`, id: changed.id })).body._source?.["name"]).toBe(
      `Mug ${later}`,
    );
  });

  it("runs the same rebuild as a command configured from the environment", async () => {
    const previous = await aliasTarget(opensearch, alias);
    const result = await reindexCommand({
      OPENSEARCH_ENDPOINT: opensearchUrl(),
      SEARCH_INDEX_ALIAS: alias,
      SEARCH_INDEX_REPLICAS: "0",
      CATALOG_ADDRESS: `127.0.0.1:${catalogService.port}`,
      LOG_LEVEL: "silent",
      ...callers.env("search"),
    });
    expect(result.previous).toBe(previous);
    expect(result.index).toBe(`${alias}-v${(indexVersion(alias, previous!) ?? 0) + 1}`);
    expect(result.products).toBeGreaterThanOrEqual(created.length);
    expect(await aliasTarget(opensearch, alias)).toBe(result.index);
  });
});

function configDefaults() {
  return {
    OPENSEARCH_ENDPOINT: opensearchUrl(),
    AWS_REGION: undefined,
    SEARCH_INDEX_ALIAS: alias,
    SEARCH_INDEX_REPLICAS: 0,
  } satisfies Record<keyof typeof opensearchEnv, unknown>;
}
