import { randomBytes, randomUUID } from "node:crypto";
import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { Admin, type Producer } from "@platformatic/kafka";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventsTopic } from "../../contracts/service-spec.js";
import { testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers } from "../../test/databases.js";
import { NotificationsService } from "../gen/platform/notifications/v1/notifications_pb.js";
import { type CloudEvent, newEvent } from "../runtime/events.js";
import { createProducer } from "../runtime/kafka.js";
import { type Client, createClient, type RpcError, Status } from "../runtime/rpc/client.js";
import { runService } from "../runtime/run-service.js";
import { parseKeyEncryptionKey, seal } from "../runtime/sealing.js";
import { definition } from "./server.js";
import { signatureHeader, verifyWebhookSignature } from "./signature.js";
import { forbiddenAddress, targetNotAllowed } from "./target-guard.js";
import { eventually, type Hit, Receiver } from "./test-receiver.js";

const newUser = (name: string) => ({ userId: `u-${name}-${randomUUID()}`, roles: ["user"], method: "jwt" });
// A new alice for every test: the consumer may still be handling an earlier test's events of
// hers when the next test subscribes, and those must not reach the next test's webhook.
let alice = newUser("alice");
const bob = newUser("bob");
const admin = { userId: `u-admin-${randomUUID()}`, roles: ["user", "admin"], method: "jwt" };

const kekBase64 = randomBytes(32).toString("base64");
const baseEnv = {
  KAFKA_BROKERS: "",
  KAFKA_TOPICS: ["identity", "catalog", "orders"].map(eventsTopic).join(","),
  PORT: "0",
  LOG_LEVEL: "silent",
  NOTIFICATIONS_KEY_ENCRYPTION_KEY: kekBase64,
  NOTIFICATIONS_MAX_ATTEMPTS: "3",
  NOTIFICATIONS_RETRY_BASE_MS: "100",
  NOTIFICATIONS_RETRY_CAP_MS: "300",
  NOTIFICATIONS_DELIVERY_TIMEOUT_MS: "2000",
  NOTIFICATIONS_POLL_MS: "100",
};

let notifications: Client<typeof NotificationsService>;
let sql: pg.Pool;
let producer: Producer<string, string, string, string>;
const receiver = new Receiver((path) => (path.startsWith("/fail") ? 500 : 200));
const cleanups: (() => Promise<unknown>)[] = [];

/**
 * A notifications service on a database of its own, in a consumer group of its own, with a
 * client and a pool on its database; stopped after all tests.
 */
async function startNotifications(label: string, env: Record<string, string> = {}) {
  const database = await createTestDatabase(`notifications_${label}`);
  const callers = await testCallers();
  const service = await runService(definition, {
    ...baseEnv,
    ...callers.env("notifications"),
    KAFKA_BROKERS: testKafkaBrokers(),
    POSTGRES_URL: database.url,
    KAFKA_CONSUMER_GROUP: `notifications-${label}-test-${randomUUID()}`,
    ...env,
  });
  const client = createClient(NotificationsService, `127.0.0.1:${service.port}`, {
    timeoutMs: 10_000,
    caller: callers.as("gateway", "notifications"),
  });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  cleanups.unshift(
    async () => client.close(),
    () => pool.end(),
    () => service.stop(),
    () => database.drop(),
  );
  return { client, sql: pool };
}

beforeAll(async () => {
  await receiver.listen();
  ({ client: notifications, sql } = await startNotifications("main", {
    NOTIFICATIONS_ALLOW_PRIVATE_TARGETS: "true",
  }));
  producer = createProducer(
    { KAFKA_BROKERS: testKafkaBrokers(), KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" },
    "notifications-test",
  );
  cleanups.push(
    () => producer.close(),
    () => receiver.close(),
  );
});

beforeEach(() => {
  alice = newUser("alice");
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** An order event in the CloudEvent shape the orders service writes. */
function orderEvent(order: { id: string; userId: string }, action = "confirmed"): CloudEvent {
  return newEvent("orders", {
    entity: "order",
    entityId: order.id,
    action,
    actor: order.userId,
    data: { order: { ...order, state: action } },
  });
}

/** Produces events straight to their service's topic (`source` is `/platform/<service>`). */
/** The topic an event's producer writes it to. */
const topicOf = (event: CloudEvent) => eventsTopic(event.source.replace("/platform/", ""));

async function produce(...events: CloudEvent[]): Promise<void> {
  await produceTo(topicOf, events);
}

async function produceTo(topic: (event: CloudEvent) => string, events: readonly CloudEvent[]): Promise<void> {
  await producer.send({
    messages: events.map((event) => ({
      topic: topic(event),
      key: event.entityid,
      value: JSON.stringify(event),
    })),
    acks: -1,
  });
}

/** Subscribes `principal` to `eventTypes` at `url`, on the main service unless told otherwise. */
const subscribe = (principal: typeof alice, url: string, eventTypes: string[], client = notifications) =>
  client.createWebhook({ principal, url, eventTypes });

async function deliveriesOf(webhookId: string, principal = alice) {
  return (await notifications.listDeliveries({ principal, webhookId, page: { limit: 100 } })).deliveries;
}

describe("delivering webhooks", () => {
  it("delivers a matching event exactly once, signed with the webhook's secret", async () => {
    const { webhook, secret } = await notifications.createWebhook({
      principal: alice,
      url: receiver.url("/ok/once"),
      eventTypes: ["platform.orders.order.confirmed"],
    });
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const order = { id: randomUUID(), userId: alice.userId };
    const event = orderEvent(order);
    // The same event twice (a redelivery), one of another type, then a second matching one
    // on the same key: when the last arrives, everything before it has been handled.
    const last = orderEvent(order);
    await produce(event, event, orderEvent(order, "cancelled"), last);

    const hits = await eventually("two deliveries", async () =>
      receiver.at("/ok/once").length >= 2 ? receiver.at("/ok/once") : undefined,
    );
    await sleep(300);
    expect(receiver.at("/ok/once").map((h) => JSON.parse(h.body).id)).toEqual([event.id, last.id]);

    const [first] = hits as [Hit];
    expect(first.headers["content-type"]).toBe("application/cloudevents+json");
    expect(JSON.parse(first.body)).toEqual(event);
    expect(
      verifyWebhookSignature({ secret, header: first.headers[signatureHeader] as string, body: first.body }),
    ).toBe(true);
    expect(
      verifyWebhookSignature({
        secret: "not the secret",
        header: first.headers[signatureHeader] as string,
        body: first.body,
      }),
    ).toBe(false);

    const log = await eventually("both delivered in the log", async () => {
      const rows = await deliveriesOf(webhook!.id);
      return rows.length === 2 && rows.every((d) => d.status === "delivered") ? rows : undefined;
    });
    const logged = log.find((d) => d.eventId === event.id)!;
    expect(logged).toMatchObject({
      eventType: "platform.orders.order.confirmed",
      attempts: 1,
      lastStatusCode: 200,
    });
    expect(first.headers["webhook-id"]).toBe(logged.id);
  });

  it("keeps other users' events from a user's webhook, and gives an admin's webhook everything", async () => {
    const mine = await notifications.createWebhook({
      principal: alice,
      url: receiver.url("/ok/alice"),
      eventTypes: ["platform.orders.*"],
    });
    const admins = await notifications.createWebhook({
      principal: admin,
      url: receiver.url("/ok/admin"),
      eventTypes: ["platform.*"],
    });
    const bobs = orderEvent({ id: randomUUID(), userId: bob.userId });
    const alices = orderEvent({ id: randomUUID(), userId: alice.userId });
    await produce(bobs, alices);
    await eventually("alice's order", async () => (receiver.at("/ok/alice").length > 0 ? true : undefined));
    await eventually("both at the admin's receiver", async () => {
      const ids = receiver.at("/ok/admin").map((h) => JSON.parse(h.body).id);
      return ids.includes(bobs.id) && ids.includes(alices.id) ? true : undefined;
    });
    expect(receiver.at("/ok/alice").map((h) => JSON.parse(h.body).id)).toEqual([alices.id]);
    expect((await deliveriesOf(mine.webhook!.id)).map((d) => d.eventId)).toEqual([alices.id]);
    await notifications.deleteWebhook({ principal: admin, id: admins.webhook!.id });
  });

  it("gives a user's webhook product events without another user's order id or an admin's id", async () => {
    const productEvents = ["platform.catalog.product.*"];
    const mine = await subscribe(alice, receiver.url("/ok/alice-products"), productEvents);
    const admins = await subscribe(admin, receiver.url("/ok/admin-products"), productEvents);
    // As catalog writes them: the admin's price change, and stock reserved by bob's order.
    const product = { id: randomUUID(), name: "Lamp", price_minor: "4200", stock: 9 };
    const orderId = randomUUID();
    const updated = newEvent("catalog", {
      entity: "product",
      entityId: product.id,
      action: "updated",
      actor: admin.userId,
      data: { product },
    });
    const reserved = newEvent("catalog", {
      entity: "product",
      entityId: product.id,
      action: "stock-reserved",
      actor: `order:${orderId}`,
      data: { product: { ...product, stock: 8 }, orderId },
    });
    await produce(updated, reserved);

    const bodies = (path: string) => receiver.at(path).map((h) => JSON.parse(h.body) as CloudEvent);
    const seen = await eventually("both events at alice's receiver", async () =>
      bodies("/ok/alice-products").length === 2 ? bodies("/ok/alice-products") : undefined,
    );
    expect(seen.map((e) => e.id)).toEqual([updated.id, reserved.id]);
    const { actor: _, ...publicReserved } = reserved;
    expect(seen[1]).toEqual({ ...publicReserved, data: { product: { ...product, stock: 8 } } });
    for (const leaked of [orderId, admin.userId]) expect(JSON.stringify(seen)).not.toContain(leaked);

    const full = await eventually("both events at the admin's receiver", async () =>
      bodies("/ok/admin-products").length === 2 ? bodies("/ok/admin-products") : undefined,
    );
    expect(full).toEqual([updated, reserved]);
    await notifications.deleteWebhook({ principal: alice, id: mine.webhook!.id });
    await notifications.deleteWebhook({ principal: admin, id: admins.webhook!.id });
  });

  it("retries a failing receiver with growing backoff, then dead-letters the delivery", async () => {
    const { webhook, secret } = await notifications.createWebhook({
      principal: alice,
      url: receiver.url("/fail"),
      eventTypes: ["platform.orders.order.*"],
    });
    const event = orderEvent({ id: randomUUID(), userId: alice.userId });
    await produce(event);

    const dead = await eventually("the delivery to die", async () => {
      const [delivery] = await deliveriesOf(webhook!.id);
      return delivery?.status === "dead" ? delivery : undefined;
    });
    expect(dead).toMatchObject({
      attempts: 3,
      lastStatusCode: 500,
      lastError: "the receiver answered HTTP 500",
    });

    const hits = receiver.at("/fail");
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((h) => h.headers["webhook-id"]))).toEqual(new Set([dead.id]));
    for (const hit of hits)
      expect(
        verifyWebhookSignature({ secret, header: hit.headers[signatureHeader] as string, body: hit.body }),
      ).toBe(true);

    const { rows: attempts } = await sql.query(
      "SELECT attempt, status_code, error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt",
      [dead.id],
    );
    expect(attempts).toEqual(
      [1, 2, 3].map((attempt) => ({ attempt, status_code: 500, error: "the receiver answered HTTP 500" })),
    );
    // Full jitter below a ceiling of 100 ms, then 200 ms; the poll adds at most 100 ms.
    const gaps = hits.slice(1).map((h, i) => h.at - hits[i]!.at);
    for (const [i, gap] of gaps.entries()) expect(gap).toBeLessThan(100 * 2 ** i + 1_000);

    const deadLetter = await eventually("the dead-letter event to be published", async () => {
      const { rows } = await sql.query(
        `SELECT topic, event, published_at FROM outbox
         WHERE event->>'type' = 'platform.notifications.delivery.dead-lettered' AND event->>'entityid' = $1`,
        [dead.id],
      );
      return rows[0]?.published_at ? rows[0] : undefined;
    });
    expect(deadLetter.topic).toBe("notifications.events.v1");
    expect(deadLetter.event).toMatchObject({
      subject: `delivery/${dead.id}`,
      actor: "system",
      data: {
        delivery: {
          id: dead.id,
          webhook_id: webhook!.id,
          status: "dead",
          attempts: 3,
          user_id: alice.userId,
        },
        event: { id: event.id, type: event.type },
      },
    });
  });

  it("pages the delivery log newest first", async () => {
    const { webhook } = await notifications.createWebhook({
      principal: alice,
      url: receiver.url("/ok/pages"),
      eventTypes: ["platform.orders.order.confirmed"],
    });
    const order = { id: randomUUID(), userId: alice.userId };
    const events = [orderEvent(order), orderEvent(order), orderEvent(order)];
    await produce(...events);
    await eventually("three deliveries", async () =>
      (await deliveriesOf(webhook!.id)).length === 3 ? true : undefined,
    );

    const first = await notifications.listDeliveries({
      principal: alice,
      webhookId: webhook!.id,
      page: { limit: 2 },
    });
    expect(first.deliveries.map((d) => d.eventId)).toEqual([events[2]!.id, events[1]!.id]);
    const second = await notifications.listDeliveries({
      principal: alice,
      webhookId: webhook!.id,
      page: { limit: 2, cursor: first.nextCursor },
    });
    expect(second.deliveries.map((d) => d.eventId)).toEqual([events[0]!.id]);
    expect(second.nextCursor).toBe("");
    await expect(
      notifications.listDeliveries({ principal: alice, webhookId: webhook!.id, page: { cursor: "bm9wZQ" } }),
    ).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
  });
});

describe("webhook subscriptions", () => {
  it("stores the secret sealed and keeps it out of events", async () => {
    const { webhook, secret } = await notifications.createWebhook({
      principal: alice,
      url: receiver.url("/ok/sealed"),
      eventTypes: ["platform.orders.*", "platform.orders.*", "platform.catalog.product.updated"],
    });
    expect(webhook).toMatchObject({ eventTypes: ["platform.orders.*", "platform.catalog.product.updated"] });
    const { rows } = await sql.query("SELECT secret_sealed FROM webhooks WHERE id = $1", [webhook!.id]);
    expect((rows[0].secret_sealed as Buffer).includes(Buffer.from(secret))).toBe(false);
    const { rows: events } = await sql.query("SELECT event FROM outbox WHERE event->>'entityid' = $1", [
      webhook!.id,
    ]);
    expect(events).toHaveLength(1);
    expect(events[0].event).toMatchObject({
      type: "platform.notifications.webhook.created",
      actor: alice.userId,
      data: { webhook: { id: webhook!.id, user_id: alice.userId, url: receiver.url("/ok/sealed") } },
    });
    expect(JSON.stringify(events[0].event)).not.toContain(secret);
  });

  it("lets only the owner or an admin see deliveries and delete, and says so", async () => {
    const { webhook } = await notifications.createWebhook({
      principal: alice,
      url: receiver.url("/ok/owned"),
      eventTypes: ["platform.orders.order.confirmed"],
    });
    const id = webhook!.id;
    expect((await notifications.listWebhooks({ principal: alice })).webhooks.map((w) => w.id)).toContain(id);
    expect((await notifications.listWebhooks({ principal: bob })).webhooks).toEqual([]);
    await expect(notifications.listDeliveries({ principal: bob, webhookId: id })).rejects.toMatchObject({
      code: Status.PERMISSION_DENIED,
    });
    await expect(notifications.deleteWebhook({ principal: bob, id })).rejects.toMatchObject({
      code: Status.PERMISSION_DENIED,
    });
    await expect(notifications.listWebhooks({})).rejects.toMatchObject({ code: Status.UNAUTHENTICATED });
    expect((await notifications.listDeliveries({ principal: admin, webhookId: id })).deliveries).toEqual([]);

    await notifications.deleteWebhook({ principal: admin, id });
    await expect(notifications.deleteWebhook({ principal: alice, id })).rejects.toMatchObject({
      code: Status.NOT_FOUND,
    });
    expect((await notifications.listWebhooks({ principal: alice })).webhooks.map((w) => w.id)).not.toContain(
      id,
    );
    const { rows } = await sql.query(
      "SELECT event FROM outbox WHERE event->>'type' = $1 AND event->>'entityid' = $2",
      ["platform.notifications.webhook.deleted", id],
    );
    expect(rows[0]?.event).toMatchObject({ actor: admin.userId, data: { webhook: null } });
  });

  it("names each invalid event type", async () => {
    const err = (await notifications
      .createWebhook({
        principal: alice,
        url: receiver.url("/ok/x"),
        eventTypes: ["platform.orders.order.confirmed", "orders.*", "platform.audit.entry.appended"],
      })
      .catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(Object.keys(err.details)).toEqual(["eventTypes/1", "eventTypes/2"]);
  });
});

describe("with private targets refused (production)", () => {
  let client: Client<typeof NotificationsService>;
  let strictSql: pg.Pool;

  beforeAll(async () => {
    ({ client, sql: strictSql } = await startNotifications("strict"));
  });

  it.each([
    ["https://127.0.0.1/hook", /127\.0\.0\.1 is a loopback address/],
    ["https://169.254.169.254/latest/meta-data/", /link-local address \(incl\. the cloud metadata service\)/],
    ["https://[::ffff:10.0.0.1]/", /IPv4-mapped 10\.0\.0\.1, a private address/],
    ["https://localhost/hook", /loopback name/],
    ["http://example.com/hook", /scheme must be https/],
  ])("refuses %s with INVALID_ARGUMENT naming the reason", async (url, reason) => {
    const err = (await client
      .createWebhook({ principal: alice, url, eventTypes: ["platform.orders.*"] })
      .catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.message).toMatch(reason);
    expect(err.details["url"]).toMatch(reason);
  });

  it("refuses a host that resolves inside without saying what it resolves to", async () => {
    // This machine's own name resolves to one of its addresses (/etc/hosts): an internal
    // name, as a cluster's service names are. The caller learns that it is not allowed,
    // never the address (the attack: map the internal DNS one webhook at a time).
    const [inside] = await lookup(hostname(), { all: true });
    if (!inside || !forbiddenAddress(inside.address))
      throw new Error(`this test needs the host name ${hostname()} to resolve to a non-public address`);
    const err = (await client
      .createWebhook({
        principal: alice,
        url: `https://${hostname()}/hook`,
        eventTypes: ["platform.orders.*"],
      })
      .catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.message).toBe(`url refused: ${targetNotAllowed}`);
    expect(err.details).toEqual({ url: targetNotAllowed });
    expect(JSON.stringify([err.message, err.details])).not.toContain(inside.address);
  });

  it.each([
    ["an address", () => "127.0.0.1", "target refused: 127.0.0.1 is a loopback address"],
    ["a name", hostname, `target refused: ${targetNotAllowed}`],
  ])(
    "checks the target again at delivery, so a webhook that now points inside at %s is never called",
    async (_, host, error) => {
      // As if DNS had changed since creation: the stored URL now reaches loopback.
      const webhookId = randomUUID();
      const sealed = seal(parseKeyEncryptionKey(kekBase64)!, Buffer.from("s"), `webhook:${webhookId}`);
      await strictSql.query(
        `INSERT INTO webhooks (id, owner_id, scope, url, event_types, secret_sealed)
       VALUES ($1, $2, 'own', $3, '{platform.orders.*}', $4)`,
        [webhookId, alice.userId, `https://${host()}:${receiver.port}/ok/inside`, sealed],
      );
      const event = orderEvent({ id: randomUUID(), userId: alice.userId });
      await produce(event);
      const dead = await eventually("the refused delivery to die", async () => {
        const { deliveries } = await client.listDeliveries({ principal: alice, webhookId });
        return deliveries.find((d) => d.eventId === event.id && d.status === "dead");
      });
      expect(dead).toMatchObject({
        eventId: event.id,
        attempts: 3,
        lastStatusCode: 0,
        lastError: error,
      });
      expect(receiver.at("/ok/inside")).toEqual([]);
    },
  );
});

describe("fair delivery, with owners whose endpoints never answer", () => {
  // Small numbers, so the test is quick: the defaults are 5 s, 4 per owner, 5 failures, 30 s.
  const settings = { timeoutMs: 1_000, perOwner: 2, circuitFailures: 3, cooldownMs: 2_000 };
  let answering = false;
  const hostile = new Receiver(() => (answering ? 200 : "never"));
  let client: Client<typeof NotificationsService>;
  let fairSql: pg.Pool;

  // Topics of its own: a new consumer group on the shared topics would first fan out every
  // product event earlier tests (and earlier runs on this broker) published, thousands of
  // deliveries to these never-answering endpoints queued ahead of the ones counted here.
  const suffix = randomBytes(4).toString("hex");
  const fairTopic = (event: CloudEvent) => `fair-${suffix}.${topicOf(event)}`;
  const fairProduce = (...events: CloudEvent[]) => produceTo(fairTopic, events);

  beforeAll(async () => {
    await hostile.listen();
    cleanups.push(() => hostile.close());
    const topics = ["catalog", "orders"].map((domain) => `fair-${suffix}.${eventsTopic(domain)}`);
    const admin = new Admin({
      clientId: "notifications-fair-test",
      bootstrapBrokers: testKafkaBrokers().split(","),
    });
    try {
      await admin.createTopics({ topics, partitions: 3, replicas: 1 });
    } finally {
      await admin.close();
    }
    ({ client, sql: fairSql } = await startNotifications("fair", {
      KAFKA_TOPICS: topics.join(","),
      NOTIFICATIONS_ALLOW_PRIVATE_TARGETS: "true",
      // Deliveries wait for their endpoint instead of dying, so none may be lost below.
      NOTIFICATIONS_MAX_ATTEMPTS: "1000",
      NOTIFICATIONS_DELIVERY_TIMEOUT_MS: String(settings.timeoutMs),
      NOTIFICATIONS_OWNER_CONCURRENCY: String(settings.perOwner),
      NOTIFICATIONS_CIRCUIT_FAILURES: String(settings.circuitFailures),
      NOTIFICATIONS_CIRCUIT_COOLDOWN_MS: String(settings.cooldownMs),
    }));
  });

  /** Deliveries of these events by status. */
  const statusCounts = async (events: readonly CloudEvent[]) => {
    const { rows } = await fairSql.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM deliveries WHERE event_id = ANY($1) GROUP BY status",
      [events.map((e) => e.id)],
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };

  it("delivers another owner's event at once, holds the failing endpoints' deliveries, and loses none", async () => {
    // Mallory: 25 webhooks on one endpoint that never answers (the circuit stops it).
    // Trudy: 25 webhooks on 25 such endpoints, 3 attempts each before a circuit opens (the
    // per-owner cap stops her). Both subscribe to public product events.
    const mallory = newUser("mallory");
    const trudy = newUser("trudy");
    const productEvents = ["platform.catalog.product.*"];
    const malloryHooks = await Promise.all(
      Array.from({ length: 25 }, () => subscribe(mallory, hostile.url("/mallory"), productEvents, client)),
    );
    for (let i = 0; i < 25; i++) await subscribe(trudy, hostile.url(`/trudy/${i}`), productEvents, client);
    await subscribe(alice, receiver.url("/ok/fair"), ["platform.orders.order.*"], client);

    // 4 product events: 200 deliveries to endpoints that hold each attempt for the whole
    // timeout. One global queue with 16 slots took about 200 / 16 x 1 s = 12 s to reach
    // anything behind them.
    const decoys = Array.from({ length: 4 }, () =>
      newEvent("catalog", {
        entity: "product",
        entityId: randomUUID(),
        action: "created",
        actor: admin.userId,
        data: { product: { name: "Decoy" } },
      }),
    );
    await fairProduce(...decoys);
    await eventually("200 deliveries queued and the endpoints holding attempts", async () => {
      const queued = Object.values(await statusCounts(decoys)).reduce((sum, n) => sum + n, 0);
      return queued === 200 && hostile.peakOpen("/trudy") > 0 ? true : undefined;
    });

    const order = orderEvent({ id: randomUUID(), userId: alice.userId });
    await fairProduce(order);
    const [hit] = await eventually("alice's delivery", async () =>
      receiver.at("/ok/fair").length > 0 ? receiver.at("/ok/fair") : undefined,
    );
    // From the consumer's commit of her delivery to her receiver: a claim on NOTIFY and the
    // POST, without waiting for any hanging attempt to give up its slot (1 s each).
    const { rows } = await fairSql.query<{ queued: Date }>(
      "SELECT created_at AS queued FROM deliveries WHERE event_id = $1",
      [order.id],
    );
    expect(hit!.at - rows[0]!.queued.getTime()).toBeLessThan(settings.timeoutMs);

    // Mallory's endpoint failed 3 times in a row: its deliveries wait for a probe, and say so.
    const waiting = await eventually("mallory's deliveries to wait for their endpoint", async () => {
      const { deliveries } = await client.listDeliveries({
        principal: mallory,
        webhookId: malloryHooks[24]!.webhook!.id,
      });
      return deliveries.find((d) => d.lastError.startsWith("waiting:"));
    });
    expect(waiting.status).toMatch(/^(pending|retrying)$/);
    expect(waiting.lastError).toMatch(
      /^waiting: the endpoint failed \d+ times in a row \(last: no response within 1000 ms\); one delivery goes as a probe at \S+Z, the rest follow once it succeeds$/,
    );
    expect(hostile.peakOpen("/mallory")).toBeLessThanOrEqual(settings.perOwner);
    expect(hostile.peakOpen("/trudy")).toBe(settings.perOwner);

    // The endpoints come back: every held delivery goes out, none is lost or dead.
    answering = true;
    const counts = await eventually(
      "every delivery delivered",
      async () => {
        const now = await statusCounts([...decoys, order]);
        return now["delivered"] === 201 ? now : undefined;
      },
      60_000,
    );
    expect(counts).toEqual({ delivered: 201 });
    const ours = new Set(decoys.map((e) => e.id));
    const deliveredTo = (path: string) =>
      new Set(
        hostile
          .at(path)
          .filter((h) => ours.has(JSON.parse(h.body).id))
          .map((h) => h.headers["webhook-id"]),
      ).size;
    expect(deliveredTo("/mallory")).toBe(100);
  }, 90_000);
});
