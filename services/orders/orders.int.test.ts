/**
 * Orders and catalog in-process over real gRPC, PostgreSQL (a database each), Redis
 * (catalog's cache) and Kafka: the saga end to end, its recovery, and its events.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { context, trace } from "@opentelemetry/api";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { Consumer, type Message, type MessagesStream, stringDeserializers } from "@platformatic/kafka";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestCallers, testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers, testRedis } from "../../test/databases.js";
import { definition as catalogDefinition } from "../catalog/server.js";
import { CatalogService } from "../gen/platform/catalog/v1/catalog_pb.js";
import { type Order, OrderState, OrdersService } from "../gen/platform/orders/v1/orders_pb.js";
import type { CloudEvent } from "../runtime/events.js";
import { type Client, createClient, Status } from "../runtime/rpc/client.js";
import { type RunningService, runService } from "../runtime/run-service.js";
import { definition } from "./server.js";

const run = randomBytes(4).toString("hex");
const admin = { userId: `admin-${run}`, roles: ["user", "admin"], method: "jwt" };
const alice = { userId: `alice-${run}`, roles: ["user"], method: "jwt" };
const bob = { userId: `bob-${run}`, roles: ["user"], method: "jwt" };
const recoverySeconds = 5;

const stopAfter: (() => Promise<unknown>)[] = [];
let catalogService: RunningService;
let catalog: Client<typeof CatalogService>;
let orders: Client<typeof OrdersService>;
let catalogDb: pg.Pool;
let ordersEnv: NodeJS.ProcessEnv;
const events: CloudEvent<{ order: Record<string, unknown> }>[] = [];
let callers: TestCallers;

/** An orders instance beside the main one (same database), e.g. one that cannot reach catalog. */
async function startOrders(env: NodeJS.ProcessEnv) {
  const running = await runService(definition, { ...ordersEnv, ...env });
  const client = createClient(OrdersService, `127.0.0.1:${running.port}`, {
    timeoutMs: 10_000,
    caller: callers.as("gateway", "orders"),
  });
  return { running, client };
}

async function newProduct(stock: number, price = 1250n, currency = "EUR") {
  const { product } = await catalog.createProduct({
    principal: admin,
    sku: `SKU-${randomUUID().slice(0, 8).toUpperCase()}`,
    name: "Espresso cup",
    category: "kitchen",
    price: { amountMinor: price, currency },
    stock,
  });
  return product!;
}

/** Stock straight from catalog's database: the source of truth, not its cache. */
async function stockOf(productId: string): Promise<number> {
  const { rows } = await catalogDb.query<{ stock: number }>("SELECT stock FROM products WHERE id = $1", [
    productId,
  ]);
  return rows[0]!.stock;
}

async function reservationOf(orderId: string): Promise<string | undefined> {
  const { rows } = await catalogDb.query<{ state: string }>(
    "SELECT state FROM stock_reservations WHERE order_id = $1",
    [orderId],
  );
  return rows[0]?.state;
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

const eventsOf = (orderId: string) => events.filter((e) => e.entityid === orderId);
const traceIdOf = (traceparent: string | undefined) => traceparent?.split("-")[1];

/** Runs `work` inside a fresh span, as a traced caller would; returns its trace id with the result. */
async function inSpan<T>(work: () => Promise<T>): Promise<{ traceId: string; result: T }> {
  const span = trace.getTracer("orders-test").startSpan("client");
  try {
    const result = await context.with(trace.setSpan(context.active(), span), work);
    return { traceId: span.spanContext().traceId, result };
  } finally {
    span.end();
  }
}

async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

beforeAll(async () => {
  // Without an OTLP endpoint the runtime records no spans; a caller that traces brings its own provider.
  trace.setGlobalTracerProvider(new TracerProvider());
  const brokers = testKafkaBrokers();
  callers = await testCallers();
  const catalogDatabase = await createTestDatabase("orders_catalog");
  stopAfter.push(catalogDatabase.drop);
  catalogService = await runService(catalogDefinition, {
    POSTGRES_URL: catalogDatabase.url,
    REDIS_URL: testRedis("orders-catalog").url,
    KAFKA_BROKERS: brokers,
    PORT: "0",
    LOG_LEVEL: "silent",
    ...callers.env("catalog"),
  });
  stopAfter.unshift(() => catalogService.stop());
  catalog = createClient(CatalogService, `127.0.0.1:${catalogService.port}`, {
    timeoutMs: 10_000,
    caller: callers.as("gateway", "catalog"),
  });
  catalogDb = new pg.Pool({ connectionString: catalogDatabase.url, max: 3 });
  stopAfter.unshift(() => catalogDb.end());

  const ordersDatabase = await createTestDatabase("orders");
  stopAfter.push(ordersDatabase.drop);
  ordersEnv = {
    ...callers.env("orders"),
    POSTGRES_URL: ordersDatabase.url,
    KAFKA_BROKERS: brokers,
    KAFKA_CONSUMER_GROUP: `orders-test-${run}`,
    CATALOG_ADDRESS: `127.0.0.1:${catalogService.port}`,
    ORDERS_RECOVERY_AFTER_SECONDS: String(recoverySeconds),
    PORT: "0",
    LOG_LEVEL: "silent",
  };
  const main = await startOrders({});
  orders = main.client;
  stopAfter.unshift(() => main.running.stop());

  const consumer = new Consumer({
    clientId: "orders-test",
    groupId: `orders-test-events-${run}`,
    bootstrapBrokers: brokers.split(","),
    deserializers: stringDeserializers,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
  });
  const stream: MessagesStream<string, string, string, string> = await consumer.consume({
    topics: ["orders.events.v1"],
    mode: "earliest",
    autocommit: false,
  });
  stream.on("data", (message: Message<string, string, string, string>) => {
    events.push(JSON.parse(message.value) as (typeof events)[number]);
  });
  stopAfter.unshift(async () => {
    await stream.close();
    await consumer.close(true);
  });
});

afterAll(async () => {
  catalog?.close();
  orders?.close();
  for (const stop of stopAfter) await stop();
});

describe("placing an order", () => {
  it("confirms it with catalog's unit prices and a total in minor units, and takes the stock", async () => {
    const cup = await newProduct(10, 1250n);
    const saucer = await newProduct(5, 399n);
    const { order, replayed } = await orders.placeOrder({
      principal: alice,
      idempotencyKey: randomUUID(),
      lines: [
        { productId: cup.id, quantity: 3 },
        { productId: saucer.id, quantity: 2 },
      ],
    });
    expect(replayed).toBe(false);
    expect(order).toMatchObject({
      userId: alice.userId,
      state: OrderState.CONFIRMED,
      lines: [
        { productId: cup.id, quantity: 3, unitPrice: { amountMinor: 1250n, currency: "EUR" } },
        { productId: saucer.id, quantity: 2, unitPrice: { amountMinor: 399n, currency: "EUR" } },
      ],
      total: { amountMinor: 4548n, currency: "EUR" },
      reason: "",
    });
    expect([await stockOf(cup.id), await stockOf(saucer.id)]).toEqual([7, 3]);
    expect((await catalog.getProduct({ id: cup.id })).product?.stock).toBe(7);
  });

  it("returns the same order for a repeated idempotency key and takes the stock once", async () => {
    const cup = await newProduct(10);
    const request = {
      principal: alice,
      idempotencyKey: randomUUID(),
      lines: [{ productId: cup.id, quantity: 4 }],
    };
    const first = await orders.placeOrder(request);
    const again = await orders.placeOrder(request);
    expect(again.replayed).toBe(true);
    expect(again.order).toEqual(first.order);
    expect(await stockOf(cup.id)).toBe(6);
  });

  it("places concurrent requests with one key exactly once", async () => {
    const cup = await newProduct(10);
    const request = {
      principal: alice,
      idempotencyKey: randomUUID(),
      lines: [{ productId: cup.id, quantity: 1 }],
    };
    const replies = await Promise.all(Array.from({ length: 5 }, () => orders.placeOrder(request)));
    expect(new Set(replies.map((r) => r.order!.id)).size).toBe(1);
    expect(replies.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await stockOf(cup.id)).toBe(9);
  });

  it("refuses a reused idempotency key with different lines, naming the order", async () => {
    const cup = await newProduct(10);
    const idempotencyKey = randomUUID();
    const { order } = await orders.placeOrder({
      principal: alice,
      idempotencyKey,
      lines: [{ productId: cup.id, quantity: 1 }],
    });
    const err = await orders
      .placeOrder({ principal: alice, idempotencyKey, lines: [{ productId: cup.id, quantity: 2 }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: Status.FAILED_PRECONDITION });
    expect((err as Error).message).toContain(`already used for order ${order!.id} with different lines`);
    expect(await stockOf(cup.id)).toBe(9);
  });

  it("scopes idempotency keys per user", async () => {
    const cup = await newProduct(10);
    const idempotencyKey = randomUUID();
    const lines = [{ productId: cup.id, quantity: 1 }];
    const mine = await orders.placeOrder({ principal: alice, idempotencyKey, lines });
    const theirs = await orders.placeOrder({ principal: bob, idempotencyKey, lines });
    expect(theirs.replayed).toBe(false);
    expect(theirs.order!.id).not.toBe(mine.order!.id);
  });

  it("rejects an order catalog has not enough stock for, with the reason, and takes nothing", async () => {
    const cup = await newProduct(2);
    const plenty = await newProduct(50);
    const { order } = await orders.placeOrder({
      principal: alice,
      idempotencyKey: randomUUID(),
      lines: [
        { productId: plenty.id, quantity: 5 },
        { productId: cup.id, quantity: 3 },
      ],
    });
    expect(order?.state).toBe(OrderState.REJECTED);
    expect(order?.reason).toMatch(/insufficient stock/);
    expect(order?.total).toBeUndefined();
    expect([await stockOf(cup.id), await stockOf(plenty.id)]).toEqual([2, 50]);
  });

  it("rejects an order of a product catalog does not know", async () => {
    const { order } = await orders.placeOrder({
      principal: alice,
      idempotencyKey: randomUUID(),
      lines: [{ productId: randomUUID(), quantity: 1 }],
    });
    expect([order?.state, order?.reason]).toEqual([OrderState.REJECTED, expect.stringMatching(/not found/)]);
  });

  it("rejects lines priced in different currencies and gives their stock back", async () => {
    const euro = await newProduct(5, 100n, "EUR");
    const dollar = await newProduct(5, 100n, "USD");
    const { order } = await orders.placeOrder({
      principal: alice,
      idempotencyKey: randomUUID(),
      lines: [
        { productId: euro.id, quantity: 1 },
        { productId: dollar.id, quantity: 1 },
      ],
    });
    expect([order?.state, order?.reason]).toEqual([
      OrderState.REJECTED,
      "the products are priced in different currencies (EUR, USD); order them separately",
    ]);
    expect([await stockOf(euro.id), await stockOf(dollar.id)]).toEqual([5, 5]);
    expect(await reservationOf(order!.id)).toBe("released");
  });

  it("names every invalid field", async () => {
    const err = await orders
      .placeOrder({
        principal: alice,
        idempotencyKey: "",
        lines: [{ productId: "nope", quantity: 0 }],
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: {
        "Idempotency-Key": expect.any(String),
        "lines/0/productId": "not a UUID",
        "lines/0/quantity": "a whole number from 1 to 1000",
      },
    });
  });

  it("needs a principal", async () => {
    await expect(
      orders.placeOrder({ idempotencyKey: randomUUID(), lines: [{ productId: randomUUID(), quantity: 1 }] }),
    ).rejects.toMatchObject({ code: Status.UNAUTHENTICATED });
  });
});

describe("reading and cancelling", () => {
  let confirmed: Order;
  let productId: string;

  beforeAll(async () => {
    productId = (await newProduct(8)).id;
    confirmed = (
      await orders.placeOrder({
        principal: alice,
        idempotencyKey: randomUUID(),
        lines: [{ productId, quantity: 3 }],
      })
    ).order!;
  });

  it("shows an order to its owner and to admins", async () => {
    expect((await orders.getOrder({ principal: alice, id: confirmed.id })).order).toEqual(confirmed);
    expect((await orders.getOrder({ principal: admin, id: confirmed.id })).order?.id).toBe(confirmed.id);
  });

  it("keeps another user from reading or cancelling it", async () => {
    await expect(orders.getOrder({ principal: bob, id: confirmed.id })).rejects.toMatchObject({
      code: Status.PERMISSION_DENIED,
    });
    await expect(orders.cancelOrder({ principal: bob, id: confirmed.id })).rejects.toMatchObject({
      code: Status.PERMISSION_DENIED,
    });
    expect((await orders.getOrder({ principal: alice, id: confirmed.id })).order?.state).toBe(
      OrderState.CONFIRMED,
    );
    expect(await stockOf(productId)).toBe(5);
  });

  it("answers NOT_FOUND for an unknown order and INVALID_ARGUMENT for a malformed id", async () => {
    await expect(orders.getOrder({ principal: alice, id: randomUUID() })).rejects.toMatchObject({
      code: Status.NOT_FOUND,
    });
    await expect(orders.cancelOrder({ principal: alice, id: "42" })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });
  });

  it("cancels a confirmed order and gives its stock back; cancelling again changes nothing", async () => {
    const { order } = await orders.cancelOrder({ principal: alice, id: confirmed.id });
    expect(order).toMatchObject({ id: confirmed.id, state: OrderState.CANCELLED, total: confirmed.total });
    expect(await stockOf(productId)).toBe(8);
    const again = await orders.cancelOrder({ principal: alice, id: confirmed.id });
    expect(again.order).toEqual(order);
    expect(await stockOf(productId)).toBe(8);
  });

  it("refuses to cancel a rejected order, saying why", async () => {
    const cup = await newProduct(1);
    const { order } = await orders.placeOrder({
      principal: alice,
      idempotencyKey: randomUUID(),
      lines: [{ productId: cup.id, quantity: 2 }],
    });
    const err = await orders.cancelOrder({ principal: admin, id: order!.id }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: Status.FAILED_PRECONDITION });
    expect((err as Error).message).toMatch(/rejected and cannot become cancelled/);
  });
});

describe("when catalog does not answer", () => {
  /** Runs `work` against an orders replica that cannot reach catalog, then stops that replica. */
  async function withCatalogUnreachable<T>(work: (client: Client<typeof OrdersService>) => Promise<T>) {
    const cut = await startOrders({ CATALOG_ADDRESS: await deadAddress() });
    try {
      return await work(cut.client);
    } finally {
      cut.client.close();
      await cut.running.stop();
    }
  }

  const placeWhileCatalogIsUnreachable = (productId: string, quantity: number) =>
    withCatalogUnreachable((client) =>
      inSpan(() =>
        client.placeOrder({
          principal: alice,
          idempotencyKey: randomUUID(),
          lines: [{ productId, quantity }],
        }),
      ),
    );

  const settled = (id: string) =>
    eventually(
      async () => (await orders.getOrder({ principal: alice, id })).order!,
      (o) => o.state !== OrderState.PENDING,
    );

  it("leaves the order pending, and recovery confirms it once catalog answers: stock taken once", async () => {
    const cup = await newProduct(6);
    const { traceId, result } = await placeWhileCatalogIsUnreachable(cup.id, 2);
    const placed = result.order!;
    expect(placed.state).toBe(OrderState.PENDING);
    expect([await stockOf(cup.id), await reservationOf(placed.id)]).toEqual([6, undefined]);
    // Pending orders cannot be cancelled while their reservation is unsettled.
    await expect(orders.cancelOrder({ principal: alice, id: placed.id })).rejects.toMatchObject({
      code: Status.FAILED_PRECONDITION,
    });

    const recovered = await settled(placed.id);
    expect(recovered).toMatchObject({ state: OrderState.CONFIRMED, total: { amountMinor: 2500n } });
    expect([await stockOf(cup.id), await reservationOf(placed.id)]).toEqual([4, "reserved"]);

    // The late confirmation continues the trace of the PlaceOrder call.
    const confirmedEvent = await eventually(
      async () => eventsOf(placed.id).find((e) => e.type === "platform.orders.order.confirmed"),
      (e) => e !== undefined,
    );
    expect(traceIdOf(confirmedEvent?.traceparent)).toBe(traceId);
  });

  it("rejects in recovery when the stock went meanwhile, and holds nothing", async () => {
    const cup = await newProduct(6);
    const placed = (await placeWhileCatalogIsUnreachable(cup.id, 2)).result.order!;
    expect(placed.state).toBe(OrderState.PENDING);
    await catalog.updateProduct({ principal: admin, id: cup.id, stock: 1 });
    const recovered = await settled(placed.id);
    expect([recovered.state, recovered.reason]).toEqual([
      OrderState.REJECTED,
      expect.stringMatching(/insufficient stock/),
    ]);
    expect([await stockOf(cup.id), await reservationOf(placed.id)]).toEqual([1, undefined]);
  });

  it("keeps an order confirmed, and its stock held, when catalog cannot release it for a cancellation", async () => {
    const cup = await newProduct(6);
    const { order } = await orders.placeOrder({
      principal: alice,
      idempotencyKey: randomUUID(),
      lines: [{ productId: cup.id, quantity: 2 }],
    });
    const err = await withCatalogUnreachable((client) =>
      client.cancelOrder({ principal: alice, id: order!.id }).catch((e: unknown) => e),
    );
    expect(err).toMatchObject({ code: Status.UNAVAILABLE });
    expect((await orders.getOrder({ principal: alice, id: order!.id })).order?.state).toBe(
      OrderState.CONFIRMED,
    );
    expect(await stockOf(cup.id)).toBe(4);
    expect((await orders.cancelOrder({ principal: alice, id: order!.id })).order?.state).toBe(
      OrderState.CANCELLED,
    );
    expect(await stockOf(cup.id)).toBe(6);
  });

  it("never leaks a reservation that lands after the deadline: recovery adopts it", async () => {
    const cup = await newProduct(6);
    const slow = await startOrders({ ORDERS_RESERVE_TIMEOUT_MS: "300" });
    // Hold the product's row so catalog's reservation waits past orders' deadline.
    const blocker = await catalogDb.connect();
    let placed: Order;
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT id FROM products WHERE id = $1 FOR UPDATE", [cup.id]);
      placed = (
        await slow.client.placeOrder({
          principal: alice,
          idempotencyKey: randomUUID(),
          lines: [{ productId: cup.id, quantity: 5 }],
        })
      ).order!;
    } finally {
      await blocker.query("ROLLBACK");
      blocker.release();
      slow.client.close();
      await slow.running.stop();
    }
    expect(placed.state).toBe(OrderState.PENDING);
    // Catalog finishes the abandoned call: stock is held for a pending order...
    expect(
      await eventually(
        () => reservationOf(placed.id),
        (s) => s === "reserved",
      ),
    ).toBe("reserved");
    expect(await stockOf(cup.id)).toBe(1);
    // ...until recovery repeats the reservation with the same key and gets that one back.
    const recovered = await settled(placed.id);
    expect(recovered.state).toBe(OrderState.CONFIRMED);
    expect(await stockOf(cup.id)).toBe(1);
    await orders.cancelOrder({ principal: alice, id: placed.id });
    expect([await stockOf(cup.id), await reservationOf(placed.id)]).toEqual([6, "released"]);
  });
});

describe("events on orders.events.v1", () => {
  it("announces placed, confirmed and cancelled once, in order, with the order and the caller's trace", async () => {
    const cup = await newProduct(4);
    const { traceId, result: order } = await inSpan(async () => {
      const { order } = await orders.placeOrder({
        principal: alice,
        idempotencyKey: randomUUID(),
        lines: [{ productId: cup.id, quantity: 1 }],
      });
      await orders.cancelOrder({ principal: alice, id: order!.id });
      await orders.cancelOrder({ principal: alice, id: order!.id });
      return order!;
    });
    const seen = await eventually(
      async () => eventsOf(order.id),
      (e) => e.length >= 3,
    );
    await sleep(1_000); // a second cancellation changed nothing, so it announced nothing
    expect(eventsOf(order.id)).toHaveLength(3);
    expect(seen.map((e) => e.type)).toEqual([
      "platform.orders.order.placed",
      "platform.orders.order.confirmed",
      "platform.orders.order.cancelled",
    ]);
    expect(seen.map((e) => e.data.order["state"])).toEqual(["pending", "confirmed", "cancelled"]);
    for (const event of seen) {
      expect(event).toMatchObject({
        source: "/platform/orders",
        subject: `order/${order.id}`,
        entitytype: "order",
        entityid: order.id,
        data: { order: { id: order.id, user_id: alice.userId } },
      });
      expect(traceIdOf(event.traceparent)).toBe(traceId);
    }
    expect(seen[1]!.data.order).toMatchObject({
      lines: [{ product_id: cup.id, quantity: 1, unit_price: { amount_minor: "1250", currency: "EUR" } }],
      total: { amount_minor: "1250", currency: "EUR" },
    });
    expect([seen[0]!.actor, seen[1]!.actor, seen[2]!.actor]).toEqual([alice.userId, "orders", alice.userId]);
  });

  it("announces a rejection with its reason", async () => {
    const cup = await newProduct(0);
    const { order } = await orders.placeOrder({
      principal: bob,
      idempotencyKey: randomUUID(),
      lines: [{ productId: cup.id, quantity: 1 }],
    });
    const seen = await eventually(
      async () => eventsOf(order!.id),
      (e) => e.length >= 2,
    );
    expect(seen.map((e) => [e.type, e.data.order["state"]])).toEqual([
      ["platform.orders.order.placed", "pending"],
      ["platform.orders.order.rejected", "rejected"],
    ]);
    expect(seen[1]!.data.order["reason"]).toMatch(/insufficient stock/);
  });
});
