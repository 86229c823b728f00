import { setTimeout as sleep } from "node:timers/promises";
import { context, metrics, propagation, SpanKind } from "@opentelemetry/api";
import {
  Consumer,
  type Message,
  type MessagesStream,
  type Producer,
  stringDeserializers,
} from "@platformatic/kafka";
import { metricNames } from "../../contracts/telemetry-schema.js";
import { type CloudEvent, parseEvent } from "./events.js";
import { type KafkaEnv, kafkaConnection } from "./kafka.js";
import type { Logger } from "./logger.js";
import type { Database, Queryable } from "./postgres.js";
import { traced } from "./tracing.js";

/** What a handler gets beside the event. */
export interface EventContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** The transaction the event is deduplicated in (consumers with a database). */
  readonly tx?: Queryable;
  readonly attempt: number;
}

export type EventHandler = (event: CloudEvent, context: EventContext) => Promise<void>;

/**
 * What a handler throws when the event itself is wrong (its data breaks its type's
 * contract): no retry can help, so it goes to the dead-letter topic at once instead of
 * holding its partition through every retry.
 */
export class UnprocessableEventError extends Error {
  override readonly name = "UnprocessableEventError";
}

export interface EventConsumerOptions {
  readonly service: string;
  readonly group: string;
  readonly topics: readonly string[];
  readonly kafka: KafkaEnv;
  readonly handler: EventHandler;
  /** Where events go after `maxAttempts` failures (or at once when unparseable). */
  readonly deadLetterTopic: string;
  readonly producer: Producer<string, string, string, string>;
  readonly logger: Logger;
  /**
   * With a database, each event is handled in a transaction that also records its id, so a
   * redelivered event is skipped and its effects are never applied twice. Without one, the
   * handler itself must be idempotent (search writes versioned documents).
   */
  readonly db?: Database;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
}

type StringMessage = Message<string, string, string, string>;

const headerGetter = {
  keys: (carrier: Map<string, string>) => [...carrier.keys()],
  get: (carrier: Map<string, string>, key: string) => carrier.get(key),
};

/**
 * A consumer group member that handles one event at a time per partition, retries with
 * backoff, dead-letters after N attempts without stalling its partition, and commits an
 * offset only after its event is durably handled (or parked). Trace context comes from the
 * message headers, so the handler's work joins the producer's trace.
 */
export class EventConsumer {
  readonly #consumer: Consumer<string, string, string, string>;
  #stream: MessagesStream<string, string, string, string> | undefined;
  #inFlight = 0;
  #lag = new Map<string, number>();

  constructor(private readonly options: EventConsumerOptions) {
    this.#consumer = new Consumer({
      ...kafkaConnection(options.kafka, options.service),
      groupId: options.group,
      deserializers: stringDeserializers,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    metrics
      .getMeter("platform-runtime")
      .createObservableGauge(metricNames.consumerLag.otel, { unit: metricNames.consumerLag.unit })
      .addCallback((result) => {
        for (const [topic, lag] of this.#lag)
          result.observe(lag, { service: options.service, topic, group: options.group });
      });
  }

  /** Events being handled now; shutdown waits for them. */
  get inFlight(): number {
    return this.#inFlight;
  }

  async start(): Promise<void> {
    const stream = await this.#consumer.consume({
      topics: [...this.options.topics],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
      maxWaitTime: 500,
    });
    this.#stream = stream;
    // One message at a time keeps each partition in order; the stream pauses while we work.
    void (async () => {
      for await (const message of stream) {
        this.#inFlight++;
        try {
          await this.#handle(message);
          // Committed only once handled, but not awaited: the next event need not wait a
          // broker round trip. The client merges commits in flight per partition, and closing
          // the stream flushes the last. Lost in a crash, a commit means a redelivery, which
          // the event id makes harmless.
          message.commit((err) => {
            if (err)
              this.options.logger.warn(
                { err: err.message, topic: message.topic, offset: String(message.offset) },
                "offset commit failed; the event may be delivered again",
              );
          });
        } catch (err) {
          this.options.logger.error(
            { err, topic: message.topic, offset: String(message.offset) },
            "event left uncommitted",
          );
        } finally {
          this.#inFlight--;
        }
      }
    })().catch((err: unknown) => this.options.logger.error({ err }, "event stream ended"));
    this.#consumer.on("consumer:lag", (lag: Map<string, bigint[]>) => {
      for (const [topic, partitions] of lag)
        this.#lag.set(
          topic,
          partitions.reduce((sum, p) => sum + Math.max(0, Number(p)), 0),
        );
    });
    this.#consumer.startLagMonitoring({ topics: [...this.options.topics] }, 15_000);
  }

  async stop(): Promise<void> {
    await this.#stream?.close();
    while (this.#inFlight > 0) await sleep(20);
    await this.#consumer.close();
  }

  async #handle(message: StringMessage): Promise<void> {
    const parent = propagation.extract(context.active(), message.headers, headerGetter);
    await context.with(parent, () =>
      traced(
        `${message.topic} process`,
        {
          "messaging.system": "kafka",
          "messaging.destination.name": message.topic,
          "messaging.consumer.group.name": this.options.group,
        },
        () => this.#handleWithRetries(message),
        SpanKind.CONSUMER,
      ),
    );
  }

  async #handleWithRetries(message: StringMessage): Promise<void> {
    const { logger, maxAttempts = 5, backoffMs = 200 } = this.options;
    let event: CloudEvent;
    try {
      event = parseEvent(message.value ?? "");
    } catch (err) {
      return this.#deadLetter(message, `unparseable: ${(err as Error).message}`, 0);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#handleOnce(event, message, attempt);
        return;
      } catch (err) {
        if (err instanceof UnprocessableEventError || attempt >= maxAttempts)
          return this.#deadLetter(message, (err as Error).message, attempt);
        const delay = backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        logger.warn(
          { err: (err as Error).message, eventId: event.id, attempt },
          "event handling failed; retrying",
        );
        await sleep(delay);
      }
    }
  }

  async #handleOnce(event: CloudEvent, message: StringMessage, attempt: number): Promise<void> {
    const base = { topic: message.topic, partition: message.partition, offset: message.offset, attempt };
    const { db, handler, group } = this.options;
    if (!db) return handler(event, base);
    await db.transaction(async (tx) => {
      const [fresh] = await tx.query(
        "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id",
        [group, event.id],
      );
      if (fresh) await handler(event, { ...base, tx });
    });
  }

  async #deadLetter(message: StringMessage, reason: string, attempts: number): Promise<void> {
    this.options.logger.error(
      { topic: message.topic, offset: String(message.offset), reason, attempts },
      "event dead-lettered",
    );
    await this.options.producer.send({
      messages: [
        {
          topic: this.options.deadLetterTopic,
          key: message.key ?? "",
          value: message.value ?? "",
          headers: {
            ...Object.fromEntries(message.headers),
            "dlq-original-topic": message.topic,
            "dlq-original-partition": String(message.partition),
            "dlq-original-offset": String(message.offset),
            "dlq-reason": reason.slice(0, 500),
            "dlq-attempts": String(attempts),
          },
        },
      ],
      acks: -1,
    });
  }
}
