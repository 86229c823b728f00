import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Producer } from "@platformatic/kafka";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type TestCallers, testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers } from "../../test/databases.js";
import { NotificationsService } from "../gen/platform/notifications/v1/notifications_pb.js";
import { type CloudEvent, newEvent } from "../runtime/events.js";
import { createProducer } from "../runtime/kafka.js";
import { type Client, createClient, type RpcError, Status } from "../runtime/rpc/client.js";
import { type RunningService, runService } from "../runtime/run-service.js";
import { parseKeyEncryptionKey, seal } from "../runtime/sealing.js";
import { eventsTopic } from "../runtime/service-spec.js";
import { definition } from "./server.js";
import { signatureHeader, verifyWebhookSignature } from "./signature.js";

const newUser = (name: string) => ({ userId: `u-${name}-${randomUUID()}`, roles: ["user"], method: "jwt" });
// A new alice for every test: the consumer may still be handling an earlier test's events of
// hers when the next test subscribes, and those must not reach the next test's webhook.
let alice = newUser("alice");
const bob = newUser("bob");
const admin = { userId: `u-admin-${randomUUID()}`, roles: ["user", "admin"], method: "jwt" };

interface Hit {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** A webhook receiver on loopback: each path answers with its own status and records its hits. */
class Receiver {
  readonly hits = new Map<string, Hit[]>();
  readonly #server: Server;
  port = 0;

  constructor(private readonly statusFor: (path: string) => number) {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const path = request.url ?? "/";
        const list = this.hits.get(path) ?? [];
        list.push({ headers: request.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
        this.hits.set(path, list);
        response.writeHead(this.statusFor(path)).end();
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  url = (path: string) => `http://127.0.0.1:${this.port}${path}`;
  at = (path: string) => this.hits.get(path) ?? [];

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** Polls `probe` until it returns a value, or fails naming what it waited for. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

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

let running: RunningService;
let notifications: Client<typeof NotificationsService>;
let sql: pg.Pool;
let producer: Producer<string, string, string, string>;
const receiver = new Receiver((path) => (path.startsWith("/fail") ? 500 : 200));
const cleanups: (() => Promise<unknown>)[] = [];
let callers: TestCallers;

beforeAll(async () => {
  callers = await testCallers();
  await receiver.listen();
  const database = await createTestDatabase("notifications");
  const brokers = testKafkaBrokers();
  running = await runService(definition, {
    ...baseEnv,
    KAFKA_BROKERS: brokers,
    POSTGRES_URL: database.url,
    KAFKA_CONSUMER_GROUP: `notifications-test-${randomUUID()}`,
    NOTIFICATIONS_ALLOW_PRIVATE_TARGETS: "true",
    ...callers.env("notifications"),
  });
  notifications = createClient(NotificationsService, `127.0.0.1:${running.port}`, {
    timeoutMs: 10_000,
    caller: callers.as("gateway", "notifications"),
  });
  sql = new pg.Pool({ connectionString: database.url, max: 2 });
  producer = createProducer(
    { KAFKA_BROKERS: brokers, KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" },
    "notifications-test",
  );
  cleanups.push(
    async () => notifications.close(),
    () => producer.close(),
    () => sql.end(),
    () => running.stop(),
    () => receiver.close(),
    () => database.drop(),
  );
});

beforeEach(() => {
  alice = newUser("alice");
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** An order event in the CloudEvent shape the orders service writes, produced straight to its topic. */
function orderEvent(order: { id: string; userId: string }, action = "confirmed"): CloudEvent {
  return newEvent("orders", {
    entity: "order",
    entityId: order.id,
    action,
    actor: order.userId,
    data: { order: { ...order, state: action } },
  });
}

async function produce(...events: CloudEvent[]): Promise<void> {
  await producer.send({
    messages: events.map((event) => ({
      topic: eventsTopic("orders"),
      key: event.entityid,
      value: JSON.stringify(event),
    })),
    acks: -1,
  });
}

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
  let strict: RunningService;
  let client: Client<typeof NotificationsService>;
  let strictSql: pg.Pool;

  beforeAll(async () => {
    const database = await createTestDatabase("notifications_strict");
    strict = await runService(definition, {
      ...baseEnv,
      KAFKA_BROKERS: testKafkaBrokers(),
      POSTGRES_URL: database.url,
      KAFKA_CONSUMER_GROUP: `notifications-strict-test-${randomUUID()}`,
      ...callers.env("notifications"),
    });
    client = createClient(NotificationsService, `127.0.0.1:${strict.port}`, {
      timeoutMs: 10_000,
      caller: callers.as("gateway", "notifications"),
    });
    strictSql = new pg.Pool({ connectionString: database.url, max: 2 });
    cleanups.unshift(
      async () => client.close(),
      () => strictSql.end(),
      () => strict.stop(),
      () => database.drop(),
    );
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

  it("checks the target again at delivery, so a webhook that now points inside is never called", async () => {
    // As if DNS had changed since creation: the stored URL now reaches loopback.
    const webhookId = randomUUID();
    const sealed = seal(parseKeyEncryptionKey(kekBase64)!, Buffer.from("s"), `webhook:${webhookId}`);
    await strictSql.query(
      `INSERT INTO webhooks (id, owner_id, scope, url, event_types, secret_sealed)
       VALUES ($1, $2, 'own', $3, '{platform.orders.*}', $4)`,
      [webhookId, alice.userId, `https://127.0.0.1:${receiver.port}/ok/inside`, sealed],
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
      lastError: "target refused: 127.0.0.1 is a loopback address",
    });
    expect(receiver.at("/ok/inside")).toEqual([]);
  });
});
