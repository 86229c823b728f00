/**
 * The event pipeline's ceiling: Kafka alone, with the clients and settings the services use
 * (the runtime's idempotent producer with acks=all; a consumer reading one message at a
 * time and committing each without waiting for the answer, as services/runtime/consumer.ts
 * does), and no database.
 *
 *   rate   messages sent one per send at `rate` a second (the outbox relay's batch when
 *          events trickle in); latency is produce -> consumed.
 *   drain  `count` messages sent in batches of 500 (the relay's batch size under a
 *          backlog); the rate is messages consumed per second, first send to last consumed.
 *
 * usage: node --import tsx scripts/bench/kafka-ceiling.ts '{"brokers", "mode", "rate"|"count", "warmupSeconds", "seconds"}'
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Admin, Consumer, stringDeserializers } from "@platformatic/kafka";
import { createProducer, kafkaConnection } from "../../services/runtime/kafka.js";
import { generatorProtocol, type Measurement } from "./measurement.js";
import { LatencyRecorder } from "./stats.js";

export interface KafkaCeilingConfig {
  readonly brokers: string;
  readonly mode: "rate" | "drain";
  /** rate: messages a second. */
  readonly rate?: number;
  /** drain: messages in the backlog. */
  readonly count?: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as KafkaCeilingConfig;
const topic = "bench.kafka-ceiling.v1";
const env = { KAFKA_BROKERS: config.brokers, KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" as const };

async function ensureTopic(): Promise<void> {
  const admin = new Admin(kafkaConnection(env, "bench-admin"));
  try {
    if (!(await admin.listTopics()).includes(topic))
      await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
  } finally {
    await admin.close();
  }
}

await ensureTopic();
const producer = createProducer(env, "bench-producer");
const consumer = new Consumer({
  ...kafkaConnection(env, "bench-consumer"),
  groupId: `bench-${randomUUID()}`,
  deserializers: stringDeserializers,
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
});
const stream = await consumer.consume({
  topics: [topic],
  mode: "latest",
  autocommit: false,
  maxWaitTime: 500,
});

/** Sent-at times by message key; the consumer records produce -> consumed for each it knows. */
const sentAt = new Map<string, number>();
const latency = new LatencyRecorder();
let consumed = 0;
let lastConsumed = 0;
void (async () => {
  for await (const message of stream) {
    const sent = sentAt.get(message.key);
    message.commit();
    if (sent !== undefined) {
      lastConsumed = performance.now();
      latency.record(lastConsumed - sent);
      sentAt.delete(message.key);
      consumed++;
    }
  }
})();
// The group's first assignment takes a rebalance; messages sent before it are not seen.
await sleep(3_000);

const value = JSON.stringify({ specversion: "1.0", type: "bench", data: { padding: "x".repeat(400) } });
let sequence = 0;
const message = () => {
  const key = `m${sequence++}`;
  sentAt.set(key, performance.now());
  return { topic, key, value };
};

async function rate(perSecond: number): Promise<Measurement> {
  const start = performance.now();
  const measureFrom = start + config.warmupSeconds * 1000;
  const end = measureFrom + config.seconds * 1000;
  let sent = 0;
  let measuredFrom = 0;
  let errors = 0;
  let cpuAtMeasure = process.cpuUsage();
  while (performance.now() < end) {
    const now = performance.now();
    if (!measuredFrom && now >= measureFrom) {
      // What was sent in the warm-up is not counted: forget it, and start counting.
      sentAt.clear();
      latency.reset();
      consumed = 0;
      measuredFrom = now;
      cpuAtMeasure = process.cpuUsage();
      generatorProtocol.measuring();
    }
    const due = Math.floor(((now - start) / 1000) * perSecond);
    for (; sent < due; sent++)
      producer.send({ messages: [message()], acks: -1 }).catch(() => {
        errors++;
      });
    await sleep(1);
  }
  await waitConsumed();
  const cpu = process.cpuUsage(cpuAtMeasure);
  return {
    requestsPerSecond: consumed / config.seconds,
    requests: consumed,
    errors: errors + sentAt.size,
    latency: latency.summary(),
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

async function drain(count: number): Promise<Measurement> {
  generatorProtocol.measuring();
  const cpuAtMeasure = process.cpuUsage();
  const start = performance.now();
  let errors = 0;
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, message);
    await producer.send({ messages: batch, acks: -1 }).catch(() => {
      errors += batch.length;
    });
  }
  await waitConsumed();
  const seconds = (lastConsumed - start) / 1000;
  const cpu = process.cpuUsage(cpuAtMeasure);
  return {
    requestsPerSecond: consumed / seconds,
    requests: consumed,
    errors: errors + sentAt.size,
    latency: latency.summary(),
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    extra: { seconds },
  };
}

/** Until every sent message was consumed, or 30 s passed without progress. */
async function waitConsumed(): Promise<void> {
  let last = consumed;
  let since = performance.now();
  while (sentAt.size > 0 && performance.now() - since < 30_000) {
    await sleep(20);
    if (consumed !== last) [last, since] = [consumed, performance.now()];
  }
}

const result = config.mode === "drain" ? await drain(config.count ?? 20_000) : await rate(config.rate ?? 100);
generatorProtocol.result(result);
await stream.close();
await Promise.all([consumer.close(), producer.close()]);
process.exit(0);
