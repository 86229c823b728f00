import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateSecret } from "../../contracts/service-spec.js";
import { testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers } from "../../test/databases.js";
import { type CloudEvent, newEvent } from "../runtime/events.js";
import { createLogger } from "../runtime/logger.js";
import { connectPostgres, type Database } from "../runtime/postgres.js";
import { chainFrom } from "./store.js";
import { verifyChain } from "./verify.js";

/**
 * Batched appends end to end: the audit service as its own processes (so one can be killed
 * mid-batch), on a topic of its own with six partitions, against real Kafka and PostgreSQL.
 */

const suffix = randomBytes(4).toString("hex");
const topic = `auditbatch-${suffix}.events.v1`;
const logger = createLogger("audit-batches-test", { level: "silent" });
let databaseUrl: string;
let drop: () => Promise<void>;
let db: Database;
let producer: Producer<string, string, string, string>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  const database = await createTestDatabase("audit_batches");
  databaseUrl = database.url;
  drop = database.drop;
  db = connectPostgres(databaseUrl, { logger, max: 2 });
  const admin = new Admin({
    clientId: "audit-batches-test",
    bootstrapBrokers: testKafkaBrokers().split(","),
  });
  try {
    await admin.createTopics({ topics: [topic, `${topic}.dlq`], partitions: 6, replicas: 1 });
  } finally {
    await admin.close();
  }
  producer = new Producer({
    clientId: `audit-batches-${suffix}`,
    bootstrapBrokers: testKafkaBrokers().split(","),
    serializers: stringSerializers,
    idempotent: true,
  });
}, 60_000);

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await producer?.close();
  await db?.close();
  await drop?.();
});

/** An audit replica in its own process, once its consumer has been started. */
async function startAudit(group: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "services/audit/main.ts"], {
    cwd: join(import.meta.dirname, "..", ".."),
    env: {
      ...process.env,
      POSTGRES_URL: databaseUrl,
      KAFKA_BROKERS: testKafkaBrokers(),
      KAFKA_TOPICS: topic,
      KAFKA_CONSUMER_GROUP: group,
      PORT: "0",
      LOG_LEVEL: "info",
      ...(await testCallers()).env("audit"),
      AUDIT_HEAD_SIGNING_KEY: generateSecret("key-256-base64"),
      WRITE_ONCE_URL: pathToFileURL(mkdtempSync(join(tmpdir(), "audit-batches-heads-"))).href,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const serving = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"msg":"audit serving"')) resolve();
    });
    child.once("exit", (code) => reject(new Error(`audit exited with ${code} before serving`)));
  });
  await serving;
  return child;
}

/** `steps` events for each of `entities` products, interleaved, as catalog's relay would publish them. */
function productStream(entities: number, steps: number): CloudEvent[] {
  const ids = Array.from({ length: entities }, () => randomUUID());
  return Array.from({ length: steps }, (_, step) =>
    ids.map((id) =>
      newEvent("catalog", {
        entity: "product",
        entityId: id,
        action: "updated",
        actor: "admin",
        data: { product: { id, version: step + 1 } },
      }),
    ),
  ).flat();
}

async function publish(events: readonly CloudEvent[]): Promise<void> {
  await producer.send({
    messages: events.map((e) => ({ topic, key: e.entityid, value: JSON.stringify(e) })),
    acks: -1,
  });
}

const storedCount = async (events: readonly CloudEvent[]) =>
  Number(
    (
      await db.query<{ n: string }>("SELECT count(*) AS n FROM audit_events WHERE event_id = ANY($1)", [
        events.map((e) => e.id),
      ])
    )[0]!.n,
  );

async function allStored(events: readonly CloudEvent[], timeout = 90_000): Promise<void> {
  await vi.waitFor(async () => expect(await storedCount(events)).toBe(events.length), {
    timeout,
    interval: 250,
  });
}

/** Each product's versions in chain order: every list must read 1, 2, 3... */
async function versionsInChainOrder(events: readonly CloudEvent[]): Promise<Map<string, number[]>> {
  const rows = await db.query<{ entity_id: string; version: number }>(
    `SELECT entity_id, (data -> 'product' ->> 'version')::int AS version FROM audit_events
     WHERE event_id = ANY($1) ORDER BY sequence`,
    [events.map((e) => e.id)],
  );
  const byEntity = new Map<string, number[]>();
  for (const row of rows) byEntity.set(row.entity_id, [...(byEntity.get(row.entity_id) ?? []), row.version]);
  return byEntity;
}

async function expectChainValid(): Promise<void> {
  const verdict = await verifyChain(chainFrom(db, 1_000));
  expect(verdict.firstBreak).toBeUndefined();
  expect(verdict.valid).toBe(true);
}

describe("batched appends by audit replicas in their own processes", () => {
  it("two replicas of one group share the partitions and extend one chain, each entity in order", async () => {
    const group = `replicas-${suffix}`;
    await Promise.all([startAudit(group), startAudit(group)]);
    const events = productStream(24, 25);
    for (let i = 0; i < events.length; i += 100) await publish(events.slice(i, i + 100));
    await allStored(events);

    for (const versions of (await versionsInChainOrder(events)).values())
      expect(versions).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    await expectChainValid();
    // Events of one batch share their recording time: fewer times than events means batches.
    const [{ batches }] = (await db.query<{ batches: string }>(
      "SELECT count(DISTINCT recorded_at) AS batches FROM audit_events WHERE event_id = ANY($1)",
      [events.map((e) => e.id)],
    )) as [{ batches: string }];
    expect(Number(batches)).toBeLessThan(events.length / 2);
    for (const child of children.splice(0)) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  }, 180_000);

  it("a replica killed mid-stream and started again loses and duplicates nothing", async () => {
    const group = `crash-${suffix}`;
    const first = await startAudit(group);
    const events = productStream(10, 150);
    const publishing = (async () => {
      for (let i = 0; i < events.length; i += 50) {
        await publish(events.slice(i, i + 50));
        await sleep(20);
      }
    })();
    await vi.waitFor(async () => expect(await storedCount(events)).toBeGreaterThanOrEqual(300), {
      timeout: 60_000,
      interval: 50,
    });
    first.kill("SIGKILL");
    await once(first, "exit");
    const storedAtCrash = await storedCount(events);
    await publishing;
    expect(storedAtCrash).toBeLessThan(events.length);

    await startAudit(group);
    await allStored(events);
    await sleep(1_000); // redeliveries of what the killed replica had not committed have arrived
    expect(await storedCount(events)).toBe(events.length);
    const [{ handled }] = (await db.query<{ handled: string }>(
      "SELECT count(*) AS handled FROM processed_events WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
      [group, events.map((e) => e.id)],
    )) as [{ handled: string }];
    expect(Number(handled)).toBe(events.length);
    for (const versions of (await versionsInChainOrder(events)).values())
      expect(versions).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    await expectChainValid();
  }, 180_000);
});
