import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Admin, Consumer, stringDeserializers } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kafkaServer } from "../../local/kafka.js";
import { createTestDatabase, testKafkaBrokers } from "../../test/databases.js";
import { EventConsumer, UnprocessableEventError } from "./consumer.js";
import { newEvent } from "./events.js";
import { createProducer } from "./kafka.js";
import { createLogger } from "./logger.js";
import { appendEvent, OutboxRelay } from "./outbox.js";
import { connectPostgres, type Database, migrateRuntime } from "./postgres.js";

const logger = createLogger("events-test", { level: "silent" });

async function createTopics(brokers: string, names: string[]): Promise<void> {
  const admin = new Admin({ clientId: "events-test", bootstrapBrokers: brokers.split(",") });
  try {
    await admin.createTopics({ topics: names, partitions: 3, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Reads a topic from the beginning and returns the first `count` values (or what came in time). */
async function readTopic(
  brokers: string,
  topic: string,
  count: number,
  timeoutMs = 15_000,
): Promise<{ value: string; headers: Map<string, string> }[]> {
  const consumer = new Consumer({
    clientId: "events-test-reader",
    groupId: `reader-${randomUUID()}`,
    bootstrapBrokers: brokers.split(","),
    deserializers: stringDeserializers,
  });
  const stream = await consumer.consume({
    topics: [topic],
    mode: "earliest",
    autocommit: false,
    maxWaitTime: 200,
  });
  const seen: { value: string; headers: Map<string, string> }[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    for await (const message of stream) {
      seen.push({ value: message.value ?? "", headers: message.headers });
      if (seen.length >= count || Date.now() > deadline) break;
    }
  } finally {
    await stream.close();
    await consumer.close();
  }
  return seen;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const event = (orderId: string, step: number) =>
  newEvent("evtest", {
    entity: "order",
    entityId: orderId,
    action: `step-${step}`,
    actor: "test",
    data: { order: { id: orderId, step } },
  });

describe("the outbox and the consumer on the shared broker", () => {
  let db: Database;
  let drop: () => Promise<void>;
  const brokers = () => testKafkaBrokers();
  const topic = `evtest.events.${randomUUID().slice(0, 8)}`;
  const deadLetters = `${topic}.dlq`;
  let relay: OutboxRelay;
  let consumer: EventConsumer;
  const producer = () =>
    createProducer({ KAFKA_BROKERS: brokers(), KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" }, "events-test");
  let relayProducer: ReturnType<typeof producer>;
  let dlqProducer: ReturnType<typeof producer>;

  beforeAll(async () => {
    const database = await createTestDatabase("events");
    drop = database.drop;
    db = connectPostgres(database.url, { logger });
    await migrateRuntime(db, logger);
    await createTopics(brokers(), [topic, deadLetters]);
    relayProducer = producer();
    dlqProducer = producer();
    relay = new OutboxRelay({ service: `evtest-${topic}`, db, producer: relayProducer, logger, pollMs: 200 });
    relay.start();
    consumer = new EventConsumer({
      service: "evtest",
      group: `evtest-${randomUUID()}`,
      topics: [topic],
      kafka: { KAFKA_BROKERS: brokers(), KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" },
      deadLetterTopic: deadLetters,
      producer: dlqProducer,
      logger,
      db,
      maxAttempts: 3,
      backoffMs: 10,
      // Small batches, so that a stream of events crosses many batch borders.
      batch: { maxMessages: 16, lingerMs: 0 },
      // What the handler did commits with the ids the consumer records: it is in `handled`
      // exactly when the consumer considers the event handled.
      async handler(events, { tx }) {
        for (const e of events) {
          const { step } = (e.data as { order: { step: number } }).order;
          if (step === 666) throw new Error("this event always fails");
          if (step === 777) throw new UnprocessableEventError("this event is malformed", e.id);
          await tx!.query(
            "INSERT INTO handled (event_id, entity_id, step, batch_size) VALUES ($1, $2, $3, $4)",
            [e.id, e.entityid, step, events.length],
          );
        }
      },
    });
    await db.query(
      "CREATE TABLE handled (seq bigserial, event_id uuid, entity_id text, step int, batch_size int)",
    );
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await relayProducer?.close();
    await dlqProducer?.close();
    await db?.close();
    await drop?.();
  });

  /** The steps handled for each entity, in the order they were handled. */
  async function handledSteps(entities: readonly string[]): Promise<Map<string, number[]>> {
    const rows = await db.query<{ entity_id: string; step: number }>(
      "SELECT entity_id, step FROM handled WHERE entity_id = ANY($1) ORDER BY seq",
      [entities],
    );
    const steps = new Map(entities.map((id) => [id, [] as number[]]));
    for (const row of rows) steps.get(row.entity_id)!.push(row.step);
    return steps;
  }
  const handledCount = async (entities: readonly string[]) =>
    [...(await handledSteps(entities)).values()].reduce((n, steps) => n + steps.length, 0);

  it("publishes committed events after commit, in order per aggregate, and never rolled-back ones", async () => {
    const orders: string[] = [randomUUID(), randomUUID()];
    for (let step = 1; step <= 5; step++) {
      for (const orderId of orders) {
        await db.transaction((tx) => appendEvent(tx, topic, event(orderId, step)));
      }
    }
    await db
      .transaction(async (tx) => {
        await appendEvent(tx, topic, event(orders[0]!, 99));
        throw new Error("roll back");
      })
      .catch(() => undefined);
    await until(async () => (await handledCount(orders)) >= 10, 20_000, "ten events");
    for (const steps of (await handledSteps(orders)).values()) expect(steps).toEqual([1, 2, 3, 4, 5]);
    const [{ unpublished }] = (await db.query<{ unpublished: string }>(
      "SELECT count(*) AS unpublished FROM outbox WHERE published_at IS NULL",
    )) as [{ unpublished: string }];
    expect(Number(unpublished)).toBe(0);
  });

  it("keeps relaying after the server ends its connections (a restart, a failover)", async () => {
    // Every connection to the test database but this query's: the relay's held one among them.
    await db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    const orderId = randomUUID();
    for (let step = 1; step <= 3; step++)
      await until(
        () =>
          db
            .transaction((tx) => appendEvent(tx, topic, event(orderId, step)))
            .then(() => true)
            .catch(() => false),
        10_000,
        `event ${step} committed`,
      );
    await until(
      async () => (await handledCount([orderId])) >= 3,
      20_000,
      "three events after the disconnection",
    );
    expect((await handledSteps([orderId])).get(orderId)).toEqual([1, 2, 3]);
  });

  it("handles an event delivered twice only once", async () => {
    const orderId = randomUUID();
    const once = event(orderId, 1);
    await relayProducer.send({
      messages: [0, 1].map(() => ({ topic, key: orderId, value: JSON.stringify(once) })),
      acks: -1,
    });
    await db.transaction((tx) => appendEvent(tx, topic, event(orderId, 2)));
    await until(
      async () => (await handledSteps([orderId])).get(orderId)!.includes(2),
      20_000,
      "the follow-up",
    );
    expect(await db.query("SELECT 1 FROM handled WHERE event_id = $1", [once.id])).toHaveLength(1);
  });

  it("hands events over in batches, keeping each aggregate's order across batch borders", async () => {
    const orders = Array.from({ length: 5 }, () => randomUUID());
    // Committed together, published in one request: the consumer finds them buffered at once.
    await db.transaction(async (tx) => {
      for (let step = 1; step <= 40; step++)
        for (const orderId of orders) await appendEvent(tx, topic, event(orderId, step));
    });
    await until(async () => (await handledCount(orders)) >= 200, 30_000, "200 events");
    for (const steps of (await handledSteps(orders)).values())
      expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const [{ largest }] = (await db.query<{ largest: number }>(
      "SELECT max(batch_size) AS largest FROM handled WHERE entity_id = ANY($1)",
      [orders],
    )) as [{ largest: number }];
    expect(largest).toBeGreaterThan(1);
    expect(largest).toBeLessThanOrEqual(16);
  });

  it("parks a poison message and a failing event on the dead-letter topic without stalling their partition", async () => {
    const orderId = randomUUID();
    await relayProducer.send({ messages: [{ topic, key: orderId, value: "{not json" }], acks: -1 });
    await db.transaction((tx) => appendEvent(tx, topic, event(orderId, 666)));
    await db.transaction((tx) => appendEvent(tx, topic, event(orderId, 7)));
    await until(async () => (await handledCount([orderId])) > 0, 20_000, "the event after the poison");
    const parked = await readTopic(brokers(), deadLetters, 2);
    const reasons = parked.map((m) => m.headers.get("dlq-reason") ?? "");
    expect(reasons.some((r) => r.startsWith("unparseable"))).toBe(true);
    expect(reasons).toContain("this event always fails");
    expect(
      parked
        .find((m) => m.headers.get("dlq-reason") === "this event always fails")
        ?.headers.get("dlq-attempts"),
    ).toBe("3");
  });
  it("takes a failing event out of its batch: it alone is retried and parked, the rest are handled in order", async () => {
    const orderId = randomUUID();
    const steps = [1, 2, 3, 666, 4, 5, 777, 6, 7];
    await db.transaction(async (tx) => {
      for (const step of steps) await appendEvent(tx, topic, event(orderId, step));
    });
    await until(
      async () => (await handledSteps([orderId])).get(orderId)!.includes(7),
      30_000,
      "the last event",
    );
    expect((await handledSteps([orderId])).get(orderId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // After the two parked by the test before this one.
    const parked = (await readTopic(brokers(), deadLetters, 4)).filter((m) => m.value.includes(orderId));
    expect(
      Object.fromEntries(parked.map((m) => [m.headers.get("dlq-reason"), m.headers.get("dlq-attempts")])),
    ).toEqual({
      "this event always fails": "3",
      "this event is malformed": "1",
    });
  });
});

describe("a Kafka outage in the middle of a stream of writes", () => {
  const home = mkdtempSync(join(tmpdir(), "kafka-outage-"));
  const broker = kafkaServer("kafka_outage", { home, port: () => 19192, controllerPort: () => 19193 });
  const brokers = "127.0.0.1:19192";
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    await broker.install();
    await broker.start();
    const database = await createTestDatabase("outage");
    drop = database.drop;
    db = connectPostgres(database.url, { logger });
    await migrateRuntime(db, logger);
    await db.query("CREATE TABLE received (event_id uuid, seq int)");
    await createTopics(brokers, ["outage.events.v1", "outage.dlq"]);
  }, 180_000);

  afterAll(async () => {
    await broker.stop();
    await db?.close();
    await drop?.();
  });

  /** A consumer of `<name>.events.v1` that stores each event's id and step in `table`. */
  const storingConsumer = (name: string, table: string) => {
    const kafka = { KAFKA_BROKERS: brokers, KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" as const };
    const dlqProducer = createProducer(kafka, `${name}-dlq`);
    const consumer = new EventConsumer({
      service: name,
      group: `${name}-store`,
      topics: [`${name}.events.v1`],
      kafka,
      deadLetterTopic: `${name}.dlq`,
      producer: dlqProducer,
      logger,
      db,
      async handler(events, { tx }) {
        for (const e of events)
          await tx!.query(`INSERT INTO ${table} VALUES ($1, $2)`, [
            e.id,
            (e.data as { order: { step: number } }).order.step,
          ]);
      },
    });
    return { consumer, dlqProducer };
  };

  it("keeps every write succeeding while the broker is down, then delivers every event exactly once", async () => {
    const kafka = { KAFKA_BROKERS: brokers, KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" as const };
    const relayProducer = createProducer(kafka, "outage-relay");
    const relay = new OutboxRelay({ service: "outage", db, producer: relayProducer, logger, pollMs: 200 });
    relay.start();
    const orderId = randomUUID();
    const write = (seq: number) =>
      db.transaction((tx) => appendEvent(tx, "outage.events.v1", event(orderId, seq)));

    for (let seq = 1; seq <= 20; seq++) await write(seq);
    await broker.stop();
    for (let seq = 21; seq <= 60; seq++) await write(seq); // every write succeeds with Kafka down
    await sleep(1_000);
    await broker.start();
    for (let seq = 61; seq <= 80; seq++) await write(seq);

    const { consumer, dlqProducer } = storingConsumer("outage", "received");
    await consumer.start();
    try {
      await until(
        async () => Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM received"))[0]!.n) >= 80,
        90_000,
        "80 events in the store",
      );
      await sleep(1_000);
      const rows = await db.query<{ seq: number; copies: string }>(
        "SELECT seq, count(*) AS copies FROM received GROUP BY seq ORDER BY seq",
      );
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
      expect(rows.every((r) => Number(r.copies) === 1)).toBe(true);
    } finally {
      await consumer.stop();
      await relay.stop();
      await relayProducer.close();
      await dlqProducer.close();
    }
  }, 180_000);

  it("goes on consuming after the broker it was reading from is killed and comes back", async () => {
    const kafka = { KAFKA_BROKERS: brokers, KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" as const };
    await createTopics(brokers, ["crash.events.v1", "crash.dlq"]);
    await db.query("CREATE TABLE crash_received (event_id uuid, seq int)");
    const relayProducer = createProducer(kafka, "crash-relay");
    const relay = new OutboxRelay({ service: "crash", db, producer: relayProducer, logger, pollMs: 200 });
    const { consumer, dlqProducer } = storingConsumer("crash", "crash_received");
    const received = async () =>
      Number((await db.query<{ n: string }>("SELECT count(DISTINCT seq) AS n FROM crash_received"))[0]!.n);
    const orderId = randomUUID();
    const write = (seq: number) =>
      db.transaction((tx) => appendEvent(tx, "crash.events.v1", event(orderId, seq)));
    relay.start();
    await consumer.start();
    try {
      for (let seq = 1; seq <= 10; seq++) await write(seq);
      await until(async () => (await received()) >= 10, 30_000, "10 events before the crash");
      process.kill(broker.pid()!, "SIGKILL"); // a crash: no controlled shutdown
      await sleep(2_000);
      await broker.start();
      for (let seq = 11; seq <= 20; seq++) await write(seq);
      await until(async () => (await received()) >= 20, 90_000, "20 events after the crash");
    } finally {
      await consumer.stop();
      await relay.stop();
      await relayProducer.close();
      await dlqProducer.close();
    }
  }, 180_000);
});
