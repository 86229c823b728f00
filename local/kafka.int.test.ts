/**
 * The local Kafka (local/kafka.ts) as the services use it: through @platformatic/kafka, an
 * idempotent producer, and a consumer group that resumes from its committed offsets.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  Admin,
  Consumer,
  type Message,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const brokers = () => {
  const value = inject("servers")["PLATFORM_KAFKA_BROKERS"];
  if (!value)
    throw new Error("no Kafka: integration tests run in the integration project (test/servers-setup.ts)");
  return value.split(",");
};
const suffix = randomBytes(4).toString("hex");
const topic = `test.local-kafka.${suffix}`;
const groupId = `test-local-kafka-${suffix}`;

let admin: Admin;
beforeAll(async () => {
  admin = new Admin({ clientId: "test-admin", bootstrapBrokers: brokers() });
  await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
});
afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.close();
});

async function produce(key: string, value: string, headers: Record<string, string>): Promise<void> {
  const producer = new Producer({
    clientId: "test-producer",
    bootstrapBrokers: brokers(),
    serializers: stringSerializers,
    // Without it a retried request after NOT_LEADER_OR_FOLLOWER can write a message twice.
    idempotent: true,
  });
  try {
    await producer.send({ messages: [{ topic, key, value, headers }] });
  } finally {
    await producer.close();
  }
}

type Received = Pick<Message<string, string, string, string>, "key" | "value" | "offset"> & {
  headers: Record<string, string>;
};

/**
 * Joins the group and handles (then commits) every message until `expected` have come and
 * one more second has brought no duplicate, or 20 s have passed; then leaves.
 */
async function consume(expected: number): Promise<Received[]> {
  const consumer = new Consumer({
    clientId: "test-consumer",
    groupId,
    bootstrapBrokers: brokers(),
    deserializers: stringDeserializers,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
  });
  const received: Received[] = [];
  try {
    const stream = await consumer.consume({
      topics: [topic],
      // 'latest' and 'earliest' ignore the group's commits; a new group starts at the beginning.
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
    });
    const handled: Promise<void>[] = [];
    let arrived: () => void;
    const allArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    stream.on("data", (message: Message<string, string, string, string>) => {
      received.push({
        key: message.key,
        value: message.value,
        offset: message.offset,
        headers: Object.fromEntries(message.headers),
      });
      handled.push(Promise.resolve(message.commit()));
      if (received.length === expected) arrived();
    });
    await Promise.race([allArrived, sleep(20_000)]);
    await sleep(1_000);
    await Promise.all(handled);
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return received;
}

describe("local Kafka", () => {
  it("delivers a keyed message with headers once to a consumer group that commits after handling", async () => {
    await produce("order-1", '{"status":"placed"}', { "event-type": "order.placed", "trace-id": suffix });
    const first = await consume(1);
    expect(first).toEqual([
      {
        key: "order-1",
        value: '{"status":"placed"}',
        offset: 0n,
        headers: { "event-type": "order.placed", "trace-id": suffix },
      },
    ]);

    // The group resumes after its commit: the next member sees only what is new.
    await produce("order-1", '{"status":"paid"}', { "event-type": "order.paid" });
    const second = await consume(1);
    expect(second.map((m) => [m.offset, m.value])).toEqual([[1n, '{"status":"paid"}']]);

    const consumer = new Consumer({ clientId: "test-offsets", groupId, bootstrapBrokers: brokers() });
    try {
      const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [0] }] });
      expect(committed.get(topic)).toEqual([2n]);
    } finally {
      await consumer.close();
    }
  });

  it("does not create a topic because a client asked for it", async () => {
    const missing = `test.not-declared.${suffix}`;
    await expect(admin.metadata({ topics: [missing], autocreateTopics: true, retries: 0 })).rejects.toThrow();
    expect(await admin.listTopics()).not.toContain(missing);
  });
});
