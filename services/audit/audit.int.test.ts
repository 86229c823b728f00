import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Producer, stringSerializers } from "@platformatic/kafka";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { privateKeyFromSeed, publicKeyFromSeed, publicKeyObject } from "../../contracts/ed25519.js";
import { eventsTopic, generateSecret } from "../../contracts/service-spec.js";
import { provisionDatabase } from "../../local/databases.js";
import { type TestCallers, testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers } from "../../test/databases.js";
import { AuditService } from "../gen/platform/audit/v1/audit_pb.js";
import { loadServiceRegistry } from "../registry.js";
import type { CloudEvent } from "../runtime/events.js";
import { connectPostgres, type Database } from "../runtime/postgres.js";
import { type Client, createClient, Status } from "../runtime/rpc/client.js";
import { type RunningService, runService } from "../runtime/run-service.js";
import { chainHash, genesisHash } from "./chain.js";
import { headSignedBy, type PublishedHead } from "./head.js";
import { HeadPublisher } from "./head-publisher.js";
import { FileHeadStore } from "./head-store.js";
import { defaultPageSize } from "./paging.js";
import { definition } from "./server.js";
import { appendToChain, chainFrom, type StoredEvent } from "./store.js";
import { verifyChain } from "./verify.js";

/**
 * The audit service against real PostgreSQL and Kafka, with its database provisioned as
 * production's (local/databases.ts, components/postgres): an owner role that runs the
 * migrations, and the append-only login role the service serves as. Other test files
 * publish to the same topics meanwhile, so the trail holds their events too: every
 * assertion is scoped to the ids created here.
 */

const suffix = randomBytes(4).toString("hex");
const roles = { owner: `audit_owner_${suffix}`, role: `audit_svc_${suffix}` };
/** Audit's head key and write-once store (a directory, as in local mode). */
const headSeed = generateSecret("key-256-base64");
const headsDirectory = mkdtempSync(join(tmpdir(), "audit-heads-"));
const admin = { userId: `admin-${suffix}`, roles: ["user", "admin"], method: "jwt" };
const user = (userId: string) => ({ userId, roles: ["user"], method: "jwt" });

let running: RunningService;
let serviceEnv: NodeJS.ProcessEnv;
let callers: TestCallers;
let audit: Client<typeof AuditService>;
let producer: Producer<string, string, string, string>;
/** The service's login role: what its code can do. */
let serviceDb: Database;
/** The database's owner, which ran the migrations: what a stolen migration credential could do. */
let ownerDb: Database;
/** The test server's superuser, on the same database: what an attacker with root could do. */
let superuser: pg.Client;
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase("audit");
  drop = database.drop;
  superuser = new pg.Client({ connectionString: database.url });
  await superuser.connect();
  const urls = await provisionDatabase(
    inject("servers")["PLATFORM_POSTGRES_URL"]!,
    { database: new URL(database.url).pathname.slice(1), ...roles },
    "append-only",
    { owner: randomBytes(12).toString("hex"), role: randomBytes(12).toString("hex") },
  );

  callers = await testCallers();
  const topics = (await loadServiceRegistry()).find((s) => s.name === "audit")!.consumedTopics;
  serviceEnv = {
    POSTGRES_URL: urls.url,
    POSTGRES_MIGRATION_URL: urls.migrationUrl,
    KAFKA_BROKERS: testKafkaBrokers(),
    KAFKA_TOPICS: topics.join(","),
    KAFKA_CONSUMER_GROUP: `audit-test-${suffix}`,
    AUDIT_VERIFY_BATCH_SIZE: "7",
    AUDIT_HEAD_SIGNING_KEY: headSeed,
    WRITE_ONCE_URL: pathToFileURL(headsDirectory).href,
    // Heads are published by the tests below when they need one; a replica shows the loop.
    AUDIT_HEAD_PUBLISH_SECONDS: "3600",
    PORT: "0",
    LOG_LEVEL: "silent",
    ...callers.env("audit"),
  };
  running = await runService(definition, serviceEnv);
  audit = createClient(AuditService, `127.0.0.1:${running.port}`, {
    timeoutMs: 20_000,
    caller: callers.as("gateway", "audit"),
  });
  serviceDb = connectPostgres(urls.url, { logger: running.logger, max: 4 });
  ownerDb = connectPostgres(urls.migrationUrl, { logger: running.logger, max: 2 });
  producer = new Producer({
    clientId: `audit-test-${suffix}`,
    bootstrapBrokers: testKafkaBrokers().split(","),
    serializers: stringSerializers,
    idempotent: true,
  });
});

afterAll(async () => {
  audit?.close();
  await running?.stop();
  await producer?.close();
  await serviceDb?.close();
  await ownerDb?.close();
  await superuser?.end();
  await drop?.();
  const cleanup = new pg.Client({ connectionString: inject("servers")["PLATFORM_POSTGRES_URL"] });
  await cleanup.connect();
  for (const name of Object.values(roles)) await cleanup.query(`DROP ROLE IF EXISTS ${name}`);
  await cleanup.end();
  rmSync(headsDirectory, { recursive: true, force: true });
});

/** The service that publishes each entity type used here. */
const producers: Record<string, string> = {
  product: "catalog",
  order: "orders",
  user: "identity",
  apikey: "identity",
};

interface EventOptions {
  /** The entity's state and extras; by default the state is just `{ id }`. */
  data?: unknown;
  actor?: string;
  time?: string;
  traceId?: string;
}

/** A CloudEvent as the entity's producer writes it (services/runtime/events.ts). */
function cloudEvent(
  entity: string,
  entityId: string,
  action: string,
  options: EventOptions = {},
): CloudEvent {
  const service = producers[entity]!;
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: `/platform/${service}`,
    type: `platform.${service}.${entity}.${action}`,
    subject: `${entity}/${entityId}`,
    time: options.time ?? new Date().toISOString(),
    datacontenttype: "application/json",
    traceparent: `00-${options.traceId ?? randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`,
    actor: options.actor ?? admin.userId,
    entitytype: entity,
    entityid: entityId,
    data: options.data === undefined ? { [entity]: { id: entityId } } : options.data,
  };
}

/** Publishes to the real topics, as the producers' outbox relays do. */
async function publish(...events: CloudEvent[]): Promise<void> {
  await producer.send({
    messages: events.map((e) => ({
      topic: eventsTopic(e.source.split("/").pop()!),
      key: e.entityid,
      value: JSON.stringify(e),
    })),
    acks: -1,
  });
}

type ChainRow = Pick<StoredEvent, "sequence" | "eventId" | "previousHash" | "hash">;

/** The stored rows of these events, once the consumer has stored all of them, in chain order. */
async function stored(events: CloudEvent[]): Promise<ChainRow[]> {
  const ids = [...new Set(events.map((e) => e.id))];
  return vi.waitFor(
    async () => {
      const rows = await serviceDb.query<ChainRow>(
        `SELECT sequence::text AS sequence, event_id AS "eventId", previous_hash AS "previousHash", hash
         FROM audit_events WHERE event_id = ANY($1) ORDER BY audit_events.sequence`,
        [ids],
      );
      expect(rows).toHaveLength(ids.length);
      return rows;
    },
    { timeout: 50_000, interval: 200 },
  );
}

const rejectsWith = (promise: Promise<unknown>, code: number) =>
  expect(promise).rejects.toMatchObject({ code });

/** A product with five versions, used by the history and (last) the tampering tests. */
const productId = randomUUID();
const productEvents = [1, 2, 3, 4, 5].map((version) =>
  cloudEvent("product", productId, version === 1 ? "created" : "updated", {
    data: { product: { id: productId, name: `Trail shoes v${version}`, version }, changed: ["name"] },
  }),
);

describe("recording every events topic into the chain", () => {
  it("stores events of every publishing service, each linked to the row before it", async () => {
    const orderId = randomUUID();
    const userId = randomUUID();
    const events = [
      productEvents[0]!,
      cloudEvent("order", orderId, "placed", { data: { order: { id: orderId, user_id: userId } } }),
      cloudEvent("user", userId, "created", { actor: userId }),
    ];
    await publish(...events);
    const rows = await stored(events);
    for (const row of rows) {
      const [before] = await serviceDb.query<{ hash: string }>(
        "SELECT hash FROM audit_events WHERE sequence < $1 ORDER BY sequence DESC LIMIT 1",
        [row.sequence],
      );
      expect(row.previousHash).toBe(before?.hash ?? genesisHash);
    }
    const { events: history } = await audit.historyByEntity({
      principal: admin,
      entityType: "order",
      entityId: orderId,
    });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      type: "platform.orders.order.placed",
      source: "/platform/orders",
      subject: `order/${orderId}`,
      actor: admin.userId,
      traceId: events[1]!.traceparent!.split("-")[1],
      dataJson: JSON.stringify({ order: { id: orderId, user_id: userId } }),
    });
  });

  it("hashes exactly what it stores: the recomputed hash of a served event matches", async () => {
    await publish(...productEvents.slice(1));
    await stored(productEvents);
    const { events } = await audit.historyByEntity({
      principal: admin,
      entityType: "product",
      entityId: productId,
    });
    expect(events).toHaveLength(5);
    for (const e of events) {
      // recorded_at is stored but not served; read it in the hashed form.
      const [row] = await serviceDb.query<{ recordedAt: string }>(
        `SELECT to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "recordedAt"
         FROM audit_events WHERE sequence = $1`,
        [e.sequence],
      );
      const fields = {
        ...e,
        sequence: String(e.sequence),
        actor: e.actor || null,
        traceId: e.traceId || null,
        data: JSON.parse(e.dataJson),
        recordedAt: row!.recordedAt,
      };
      expect(chainHash(e.previousHash, fields)).toBe(e.hash);
    }
  });

  it("stores an event delivered twice once", async () => {
    const id = randomUUID();
    const twice = cloudEvent("product", id, "created");
    const after = cloudEvent("product", id, "updated");
    // Same key, same partition: once `after` is stored, both copies have been handled.
    await publish(twice, twice, after);
    await stored([twice, after]);
    const rows = await serviceDb.query("SELECT 1 FROM audit_events WHERE event_id = $1", [twice.id]);
    expect(rows).toHaveLength(1);
  });

  it("dead-letters an event with a malformed time alone; the rest of its batch is stored in order", async () => {
    const id = randomUUID();
    const before = [1, 2, 3, 4].map(() => cloudEvent("product", id, "updated"));
    const malformed = { ...cloudEvent("product", id, "updated"), time: "yesterday" };
    const after = [1, 2, 3, 4].map(() => cloudEvent("product", id, "updated"));
    // One send, one key: one partition, so the consumer takes them as one batch.
    await publish(...before, malformed, ...after);
    const rows = await stored([...before, ...after]);
    expect(rows.map((r) => r.eventId)).toEqual([...before, ...after].map((e) => e.id));
    expect(await serviceDb.query("SELECT 1 FROM audit_events WHERE event_id = $1", [malformed.id])).toEqual(
      [],
    );
  });

  it("serialises appends: concurrent batches (as from several replicas) extend one chain", async () => {
    const id = randomUUID();
    const batches = Array.from({ length: 8 }, () =>
      Array.from({ length: 15 }, () => cloudEvent("product", id, "updated")),
    );
    const appended = await Promise.all(
      batches.map((batch) => serviceDb.transaction((tx) => appendToChain(tx, batch))),
    );
    const sequences = appended.flatMap((a) => a.stored.map((e) => e.sequence));
    expect(new Set(sequences).size).toBe(120);
    // Each batch's events got consecutive places in its own order: one hold of the lock each.
    for (const [i, a] of appended.entries()) {
      expect(a.stored.map((e) => e.eventId)).toEqual(batches[i]!.map((e) => e.id));
      expect(BigInt(a.stored[14]!.sequence) - BigInt(a.stored[0]!.sequence)).toBe(14n);
    }
    const events = batches.flat();
    const rows = await stored(events);
    for (const row of rows) {
      const [before] = await serviceDb.query<{ hash: string }>(
        "SELECT hash FROM audit_events WHERE sequence < $1 ORDER BY sequence DESC LIMIT 1",
        [row.sequence],
      );
      expect(row.previousHash).toBe(before!.hash);
    }
  });
});

describe("append-only, enforced by the database", () => {
  const change = [
    "UPDATE audit_events SET actor = 'forger'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
  ];

  it.each(change)("refuses the service role's %s: it holds no such privilege", async (statement) => {
    const [row] = await stored([productEvents[0]!]);
    const where = statement.startsWith("TRUNCATE") ? "" : ` WHERE sequence = ${row!.sequence}`;
    await expect(serviceDb.query(statement + where)).rejects.toMatchObject({ code: "42501" });
  });

  it.each([
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete",
    "DROP TRIGGER audit_events_no_update_or_delete ON audit_events",
    "ALTER TABLE audit_events OWNER TO CURRENT_USER",
    "DROP TABLE audit_events",
    "SELECT setval(pg_get_serial_sequence('audit_events', 'sequence'), 1)",
  ])("refuses the service's login role %s: only the owner, which it is not, may", async (statement) => {
    await expect(serviceDb.query(statement)).rejects.toMatchObject({ code: "42501" });
  });

  it("refuses the owner even after it grants itself the privileges back (the trigger)", async () => {
    const [row] = await stored([productEvents[0]!]);
    await ownerDb.query("GRANT UPDATE, DELETE, TRUNCATE ON audit_events TO CURRENT_USER");
    try {
      for (const statement of change) {
        const where = statement.startsWith("TRUNCATE") ? "" : ` WHERE sequence = ${row!.sequence}`;
        await expect(ownerDb.query(statement + where)).rejects.toMatchObject({
          code: "23001",
          message: expect.stringMatching(
            /^audit_events is append-only: (UPDATE|DELETE|TRUNCATE) is refused$/,
          ),
        });
      }
    } finally {
      await ownerDb.query("REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM CURRENT_USER");
    }
  });

  it("refuses a superuser's UPDATE too while the triggers are on", async () => {
    const [row] = await stored([productEvents[0]!]);
    await expect(
      superuser.query("UPDATE audit_events SET actor = 'forger' WHERE sequence = $1", [row!.sequence]),
    ).rejects.toMatchObject({ code: "23001" });
  });
});

describe("history", () => {
  it("pages through an entity's events oldest first with opaque cursors", async () => {
    await stored(productEvents);
    const seen: string[] = [];
    let cursor = "";
    let pages = 0;
    do {
      const page = await audit.historyByEntity({
        principal: admin,
        entityType: "product",
        entityId: productId,
        page: { cursor, limit: 2 },
      });
      seen.push(...page.events.map((e) => e.eventId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(productEvents.map((e) => e.id));
  });

  it("refuses a page limit above 500 and a cursor it did not issue", async () => {
    const request = { principal: admin, entityType: "product", entityId: productId };
    await rejectsWith(
      audit.historyByEntity({ ...request, page: { cursor: "", limit: 501 } }),
      Status.INVALID_ARGUMENT,
    );
    await rejectsWith(
      audit.historyByEntity({ ...request, page: { cursor: "bm9wZQ", limit: 5 } }),
      Status.INVALID_ARGUMENT,
    );
  });

  it("shows an order to its owner and admins, and refuses anyone else", async () => {
    const orderId = randomUUID();
    const owner = `owner-${suffix}`;
    const placed = cloudEvent("order", orderId, "placed", {
      actor: owner,
      data: { order: { id: orderId, user_id: owner } },
    });
    await publish(placed);
    await stored([placed]);
    const request = { entityType: "order", entityId: orderId };
    expect((await audit.historyByEntity({ ...request, principal: user(owner) })).events).toHaveLength(1);
    expect((await audit.historyByEntity({ ...request, principal: admin })).events).toHaveLength(1);
    await rejectsWith(
      audit.historyByEntity({ ...request, principal: user("someone-else") }),
      Status.PERMISSION_DENIED,
    );
    await rejectsWith(
      audit.stateAt({ ...request, principal: user("someone-else") }),
      Status.PERMISSION_DENIED,
    );
    await rejectsWith(audit.historyByEntity({ ...request }), Status.UNAUTHENTICATED);
  });

  it("keeps a product's history for admins: it has no owner", async () => {
    await rejectsWith(
      audit.historyByEntity({
        principal: user(`shopper-${suffix}`),
        entityType: "product",
        entityId: productId,
      }),
      Status.PERMISSION_DENIED,
    );
  });

  it("lets a user read their own user entity", async () => {
    const userId = randomUUID();
    const created = cloudEvent("user", userId, "created", {
      actor: userId,
      data: { user: { id: userId, name: "Ada" } },
    });
    await publish(created);
    await stored([created]);
    const { events } = await audit.historyByEntity({
      principal: user(userId),
      entityType: "user",
      entityId: userId,
    });
    expect(events.map((e) => e.eventId)).toEqual([created.id]);
  });

  it("lists an actor's events to the actor and admins only", async () => {
    const actor = `actor-${suffix}`;
    const events = [1, 2, 3].map(() => {
      const id = randomUUID();
      return cloudEvent("apikey", id, "created", { actor, data: { apikey: { id, user_id: actor } } });
    });
    await publish(...events);
    await stored(events);
    const first = await audit.historyByActor({
      principal: user(actor),
      actor,
      page: { cursor: "", limit: 2 },
    });
    const rest = await audit.historyByActor({
      principal: admin,
      actor,
      page: { cursor: first.nextCursor, limit: 2 },
    });
    expect([...first.events, ...rest.events].map((e) => e.eventId).sort()).toEqual(
      events.map((e) => e.id).sort(),
    );
    expect(rest.nextCursor).toBe("");
    await rejectsWith(
      audit.historyByActor({ principal: user("someone-else"), actor }),
      Status.PERMISSION_DENIED,
    );
  });

  it("follows one trace across services, in recorded order, for admins only", async () => {
    const traceId = randomBytes(16).toString("hex");
    const orderId = randomUUID();
    const productId = randomUUID();
    const placed = cloudEvent("order", orderId, "placed", {
      traceId,
      data: { order: { id: orderId, user_id: "u-1" } },
    });
    const reserved = cloudEvent("product", productId, "stock-reserved", {
      traceId,
      data: { product: { id: productId }, orderId },
    });
    const unrelated = cloudEvent("product", productId, "updated");
    await publish(placed);
    await publish(reserved, unrelated);
    const rows = await stored([placed, reserved, unrelated]);
    const { events } = await audit.historyByTrace({ principal: admin, traceId });
    const recorded = rows.filter((r) => r.eventId !== unrelated.id).map((r) => BigInt(r.sequence));
    expect(events.map((e) => e.sequence)).toEqual(recorded);
    expect(events.map((e) => e.eventId).sort()).toEqual([placed.id, reserved.id].sort());
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(["/platform/orders", "/platform/catalog"]));
    await rejectsWith(audit.historyByTrace({ principal: user("u-1"), traceId }), Status.PERMISSION_DENIED);
    await rejectsWith(
      audit.historyByTrace({ principal: admin, traceId: "not-a-trace" }),
      Status.INVALID_ARGUMENT,
    );
  });

  it(`answers a trace of more events than a page (${defaultPageSize}) a page at a time`, async () => {
    const traceId = randomBytes(16).toString("hex");
    const productId = randomUUID();
    const events = Array.from({ length: defaultPageSize + 2 }, () =>
      cloudEvent("product", productId, "updated", { traceId }),
    );
    await publish(...events);
    const rows = await stored(events);
    const first = await audit.historyByTrace({ principal: admin, traceId });
    expect(first.events).toHaveLength(defaultPageSize);
    const second = await audit.historyByTrace({
      principal: admin,
      traceId,
      page: { cursor: first.nextCursor, limit: 0 },
    });
    expect(second.nextCursor).toBe("");
    expect([...first.events, ...second.events].map((e) => String(e.sequence))).toEqual(
      rows.map((r) => r.sequence),
    );
    const small = await audit.historyByTrace({ principal: admin, traceId, page: { cursor: "", limit: 3 } });
    expect(small.events.map((e) => e.eventId)).toEqual(rows.slice(0, 3).map((r) => r.eventId));
    await rejectsWith(
      audit.historyByTrace({ principal: admin, traceId, page: { cursor: "", limit: 501 } }),
      Status.INVALID_ARGUMENT,
    );
  });
});

describe("state at time T", () => {
  const orderId = randomUUID();
  const owner = `buyer-${suffix}`;
  const order = (status: string) => ({ id: orderId, user_id: owner, status });
  const at = (time: string) => ({ principal: admin, entityType: "order", entityId: orderId, at: time });
  const timeline = [
    ["2024-03-01T10:00:00.000Z", "placed"],
    ["2024-03-01T11:00:00.000Z", "confirmed"],
    ["2024-03-01T12:00:00.000Z", "cancelled"],
  ] as const;

  beforeAll(async () => {
    const events = timeline.map(([time, status]) =>
      cloudEvent("order", orderId, status, { time, data: { order: order(status) } }),
    );
    await publish(...events);
    await stored(events);
  });

  it("is empty before the entity was created", async () => {
    expect(await audit.stateAt(at("2024-03-01T09:59:59Z"))).toMatchObject({
      stateJson: "",
      eventsApplied: 0,
    });
  });

  it("is the intermediate state between two changes", async () => {
    const reply = await audit.stateAt(at("2024-03-01T10:30:00+00:00"));
    expect(JSON.parse(reply.stateJson)).toEqual(order("placed"));
    expect(reply.eventsApplied).toBe(1);
  });

  it("includes a change made exactly at T, in any offset", async () => {
    const reply = await audit.stateAt(at("2024-03-01T12:00:00+01:00"));
    expect(JSON.parse(reply.stateJson)).toEqual(order("confirmed"));
    expect(reply.eventsApplied).toBe(2);
  });

  it("is the latest state when T is empty (now), readable by the owner", async () => {
    const reply = await audit.stateAt({ ...at(""), principal: user(owner) });
    expect(JSON.parse(reply.stateJson)).toEqual(order("cancelled"));
    expect(reply.eventsApplied).toBe(3);
  });

  it("is empty after a deletion", async () => {
    const keyId = randomUUID();
    const events = [
      cloudEvent("apikey", keyId, "created", {
        time: "2024-03-01T10:00:00Z",
        data: { apikey: { id: keyId, user_id: owner } },
      }),
      cloudEvent("apikey", keyId, "deleted", { time: "2024-03-01T11:00:00Z", data: { apikey: null } }),
    ];
    await publish(...events);
    await stored(events);
    const request = { principal: user(owner), entityType: "apikey", entityId: keyId };
    expect(await audit.stateAt({ ...request, at: "2024-03-01T10:30:00Z" })).toMatchObject({
      eventsApplied: 1,
    });
    expect(await audit.stateAt(request)).toMatchObject({ stateJson: "", eventsApplied: 2 });
  });

  it.each(["yesterday", "2024-02-30T00:00:00Z", "2024-03-01 10:00"])(
    "refuses the timestamp %j",
    async (time) => {
      await rejectsWith(audit.stateAt(at(time)), Status.INVALID_ARGUMENT);
    },
  );
});

// Last: these tests break the chain on purpose.
describe("chain verification", () => {
  it("is for admins only", async () => {
    await rejectsWith(audit.verifyChain({ principal: user(`shopper-${suffix}`) }), Status.PERMISSION_DENIED);
    await rejectsWith(audit.verifyChain({}), Status.UNAUTHENTICATED);
  });

  it("finds the untouched trail valid, reading it in batches", async () => {
    const [{ count }] = (await serviceDb.query<{ count: string }>("SELECT count(*) FROM audit_events")) as [
      { count: string },
    ];
    const verdict = await audit.verifyChain({ principal: admin });
    expect(verdict).toMatchObject({ valid: true, firstBrokenSequence: 0n, reason: "" });
    expect(verdict.eventsChecked).toBeGreaterThanOrEqual(BigInt(count));
    expect(Number(count)).toBeGreaterThan(7);
  });

  it("publishes the chain's head, signed, to its write-once store: a replica does at start", async () => {
    const directory = mkdtempSync(join(tmpdir(), "audit-heads-replica-"));
    const replica = await runService(definition, {
      ...serviceEnv,
      WRITE_ONCE_URL: pathToFileURL(directory).href,
      AUDIT_HEAD_PUBLISH_SECONDS: "1",
    });
    try {
      const head = await vi.waitFor(
        async () => {
          const found = await new FileHeadStore(directory).latest();
          expect(found).toBeDefined();
          return found!;
        },
        { timeout: 10_000, interval: 100 },
      );
      expect(headSignedBy(head, publicKeyObject(publicKeyFromSeed(headSeed))!)).toBe(true);
      const [row] = await serviceDb.query<{ hash: string }>(
        "SELECT hash FROM audit_events WHERE sequence = $1",
        [head.sequence],
      );
      expect(row?.hash).toBe(head.hash);
      const [file] = readdirSync(directory);
      expect(statSync(join(directory, file!)).mode & 0o222).toBe(0);
    } finally {
      await replica.stop();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  /** Changes the store as a superuser with the triggers off for this transaction. */
  async function tamper(statement: string, sequence: string): Promise<void> {
    await superuser.query("BEGIN");
    await superuser.query("SET LOCAL session_replication_role = replica");
    await superuser.query(statement, [sequence]);
    await superuser.query("COMMIT");
  }

  it("reports a row removed by a superuser at the row after it: its previous hash no longer links", async () => {
    const rows = await stored(productEvents);
    const removed = rows[3]!.sequence;
    const [next] = await serviceDb.query<{ sequence: string }>(
      "SELECT min(sequence)::text AS sequence FROM audit_events WHERE sequence > $1",
      [removed],
    );
    await tamper("DELETE FROM audit_events WHERE sequence = $1", removed);
    const verdict = await audit.verifyChain({ principal: admin });
    expect(verdict).toMatchObject({ valid: false, firstBrokenSequence: BigInt(next!.sequence) });
    expect(verdict.reason).toMatch(/^previous-hash mismatch/);
  });

  it("reports a row changed by a superuser at exactly that row, everything before it valid", async () => {
    const rows = await stored([productEvents[1]!]);
    const changed = rows[0]!.sequence;
    await tamper(
      `UPDATE audit_events SET data = jsonb_set(data, '{product,name}', '"Forged shoes"') WHERE sequence = $1`,
      changed,
    );
    const [{ before }] = (await serviceDb.query<{ before: string }>(
      "SELECT count(*) AS before FROM audit_events WHERE sequence < $1",
      [changed],
    )) as [{ before: string }];
    const verdict = await audit.verifyChain({ principal: admin });
    expect(verdict).toMatchObject({
      valid: false,
      firstBrokenSequence: BigInt(changed),
      eventsChecked: BigInt(before) + 1n,
    });
    expect(verdict.reason).toMatch(/^hash mismatch/);
  });

  it("reports a chain its owner rewrote whole, with consistent hashes, against the head published before", async () => {
    const key = { privateKey: privateKeyFromSeed(headSeed), publicKey: publicKeyFromSeed(headSeed) };
    const publisher = new HeadPublisher(
      serviceDb,
      new FileHeadStore(headsDirectory),
      { ...key, verifier: publicKeyObject(key.publicKey)! },
      { intervalMs: 60_000, logger: running.logger },
    );
    const latest = cloudEvent("product", randomUUID(), "created");
    await publish(latest);
    await stored([latest]);
    const published = (await publisher.publishOnce()) as PublishedHead;

    // The owner may disable the trigger: it rewrites an event and re-hashes the whole chain.
    await ownerDb.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('platform.audit.chain'))");
      await tx.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete");
      await tx.query("GRANT UPDATE ON audit_events TO CURRENT_USER");
      let previousHash = genesisHash;
      const rows: StoredEvent[] = [];
      for await (const row of chainFrom(tx, 500)) rows.push(row);
      for (const row of rows) {
        const data = row === rows[0] ? { forged: true } : row.data;
        const hash = chainHash(previousHash, { ...row, data });
        await tx.query(
          "UPDATE audit_events SET data = $2, previous_hash = $3, hash = $4 WHERE sequence = $1",
          [row.sequence, JSON.stringify(data), previousHash, hash],
        );
        previousHash = hash;
      }
      await tx.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete");
    });

    // As a chain it holds: every link and hash recomputes.
    expect(await verifyChain(chainFrom(ownerDb, 500))).toMatchObject({ valid: true });
    // Against the head published before, it does not.
    const verdict = await audit.verifyChain({ principal: admin });
    expect(verdict).toMatchObject({ valid: false, firstBrokenSequence: BigInt(published.sequence) });
    expect(verdict.reason).toMatch(/^published-head mismatch/);
  });
});
