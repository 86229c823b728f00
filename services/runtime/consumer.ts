import { setTimeout as sleep } from "node:timers/promises";
import {
  type Context,
  context,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import {
  Consumer,
  type Message,
  type MessagesStream,
  type Producer,
  stringDeserializers,
} from "@platformatic/kafka";
import { metricNames } from "../../contracts/telemetry-schema.js";
import { type BatchLimits, messageBatches } from "./event-batches.js";
import { type CloudEvent, parseEvent } from "./events.js";
import { type KafkaEnv, kafkaConnection } from "./kafka.js";
import type { Logger } from "./logger.js";
import type { Database, Queryable } from "./postgres.js";

/** What a handler gets beside its events. */
export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** The transaction the events are deduplicated in (consumers with a database). */
  readonly tx?: Queryable;
  /** 1 on a batch's first try; an event retried alone counts up from there. */
  readonly attempt: number;
}

/**
 * Handles events of one partition, in their order, as one unit: with a database, in one
 * transaction that also records their ids, so a redelivered event is never handed over
 * again. Throwing fails the whole batch: the consumer then hands the events over one at a
 * time, so the event at fault is retried and dead-lettered alone and the rest go through.
 */
export type EventBatchHandler = (events: readonly CloudEvent[], context: BatchContext) => Promise<void>;

/**
 * What a handler throws when an event itself is wrong (its data breaks its type's contract):
 * no retry can help, so it goes to the dead-letter topic at once instead of holding its
 * partition through every retry. Naming the event lets the rest of its batch go on without it.
 */
export class UnprocessableEventError extends Error {
  override readonly name = "UnprocessableEventError";
  constructor(
    message: string,
    /** The id of the event at fault, when the handler knows it. */
    readonly eventId?: string,
  ) {
    super(message);
  }
}

export interface EventConsumerOptions {
  readonly service: string;
  readonly group: string;
  readonly topics: readonly string[];
  readonly kafka: KafkaEnv;
  readonly handler: EventBatchHandler;
  /** Where events go after `maxAttempts` failures (or at once when unparseable). */
  readonly deadLetterTopic: string;
  readonly producer: Producer<string, string, string, string>;
  readonly logger: Logger;
  /**
   * With a database, each batch is handled in a transaction that also records its event
   * ids, so a redelivered event is skipped and its effects are never applied twice. Without
   * one, the handler itself must be idempotent (search writes versioned documents).
   */
  readonly db?: Database;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  /** How many events a batch holds at most, and how long one that is not full waits. */
  readonly batch?: BatchLimits;
  /** How often handled offsets are committed (default 100 ms). */
  readonly commitIntervalMs?: number;
}

/** Up to 500 events, handed over without waiting: batches grow only when events pile up. */
export const defaultBatchLimits: BatchLimits = { maxMessages: 500, lingerMs: 0 };

type StringMessage = Message<string, string, string, string>;

/** A message and the event it carries. */
interface Delivery {
  readonly message: StringMessage;
  readonly event: CloudEvent;
}

const headerGetter = {
  keys: (carrier: Map<string, string>) => [...carrier.keys()],
  get: (carrier: Map<string, string>, key: string) => carrier.get(key),
};

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const tracer = () => trace.getTracer("platform-runtime");
const traceOf = (message: StringMessage): Context =>
  propagation.extract(context.active(), message.headers, headerGetter);

/** A batch's messages by partition, each list in stream order. */
function byPartition(messages: readonly StringMessage[]): StringMessage[][] {
  const runs = new Map<string, StringMessage[]>();
  for (const message of messages) {
    const key = `${message.topic}\0${message.partition}`;
    const run = runs.get(key);
    if (run) run.push(message);
    else runs.set(key, [message]);
  }
  return [...runs.values()];
}

/**
 * A consumer group member that hands its service the events of each partition in batches,
 * in order, retries with backoff, dead-letters after N attempts without stalling its
 * partition, and commits an offset only after its events are durably handled (or parked).
 * Each event's trace, from the message headers, gets the consumer's span.
 */
export class EventConsumer {
  readonly #consumer: Consumer<string, string, string, string>;
  #stream: MessagesStream<string, string, string, string> | undefined;
  #inFlight = 0;
  #stopping = false;
  /** The last handled message of each partition whose offset is not committed yet. */
  readonly #uncommitted = new Map<string, StringMessage>();
  #commitTimer: NodeJS.Timeout | undefined;
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
    await this.#consume();
    this.#consumer.on("consumer:lag", (lag: Map<string, bigint[]>) => {
      for (const [topic, partitions] of lag)
        this.#lag.set(
          topic,
          partitions.reduce((sum, p) => sum + Math.max(0, Number(p)), 0),
        );
    });
    this.#consumer.startLagMonitoring({ topics: [...this.options.topics] }, 15_000);
  }

  /** Opens a stream from the committed offsets and reads it, one batch at a time, until it ends. */
  async #consume(): Promise<void> {
    const stream = await this.#consumer.consume({
      topics: [...this.options.topics],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
      maxWaitTime: 500,
    });
    this.#stream = stream;
    void this.#read(stream);
  }

  async #read(stream: MessagesStream<string, string, string, string>): Promise<void> {
    try {
      // One batch at a time keeps each partition in order; messages buffer while we work.
      const batches = messageBatches<StringMessage>(stream, this.options.batch ?? defaultBatchLimits);
      for await (const batch of batches) {
        // Read after shutdown began: left uncommitted, for the next member of the group.
        if (this.#stopping) break;
        this.#inFlight += batch.length;
        try {
          for (const run of byPartition(batch)) await this.#handleRun(run);
        } finally {
          this.#inFlight -= batch.length;
        }
      }
    } catch (err) {
      this.options.logger.error({ err }, "event stream failed");
    }
    if (this.#stopping) return;
    // The client ends a stream when a fetch fails (the broker was lost, say): without a new
    // one, the service would stay in its group and never consume again. The new stream
    // starts from the committed offsets; what was handled since is skipped by its event id.
    this.options.logger.warn(
      { err: stream.errored?.message },
      "event stream ended; consuming again from the committed offsets",
    );
    for (let attempt = 1; !this.#stopping; attempt++) {
      await sleep(Math.min(500 * attempt, 5_000));
      if (this.#stopping) return;
      try {
        await this.#consume();
        return;
      } catch (err) {
        if (attempt === 1 || attempt % 10 === 0)
          this.options.logger.warn({ err: (err as Error).message, attempt }, "cannot consume yet; retrying");
      }
    }
  }

  /** Finishes the batch in hand, commits what was handled, and leaves the group. */
  async stop(): Promise<void> {
    this.#stopping = true;
    while (this.#inFlight > 0) await sleep(20);
    await this.#commit();
    await this.#stream?.close();
    await this.#consumer.close();
  }

  /** One partition's messages: handled, then their offset committed. */
  async #handleRun(messages: StringMessage[]): Promise<void> {
    const last = messages[messages.length - 1]!;
    try {
      const deliveries: Delivery[] = [];
      for (const message of messages) {
        try {
          deliveries.push({ message, event: this.#parse(message) });
        } catch (err) {
          await this.#deadLetter(message, `unparseable: ${(err as Error).message}`, 0);
        }
      }
      await this.#settle(deliveries);
    } catch (err) {
      this.options.logger.error(
        { err, topic: last.topic, partition: last.partition, offset: String(last.offset) },
        "events left uncommitted",
      );
      return;
    }
    this.#commitSoon(last);
  }

  /**
   * Commits a partition's offset once handled, but not at once: the last handled message of
   * each partition is committed every `commitIntervalMs` (and at shutdown), so a busy
   * consumer sends one commit request per partition per interval instead of one per batch,
   * and the next batch never waits for the broker. Lost in a crash, the commits of the last
   * interval mean redeliveries, which the recorded event ids make harmless.
   */
  #commitSoon(message: StringMessage): void {
    this.#uncommitted.set(`${message.topic}\0${message.partition}`, message);
    this.#commitTimer ??= setTimeout(() => void this.#commit(), this.options.commitIntervalMs ?? 100);
  }

  async #commit(): Promise<void> {
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    const messages = [...this.#uncommitted.values()];
    this.#uncommitted.clear();
    await Promise.all(
      messages.map(
        (message) =>
          new Promise<void>((resolve) =>
            message.commit((err) => {
              if (err)
                this.options.logger.warn(
                  { err: err.message, topic: message.topic, offset: String(message.offset) },
                  "offset commit failed; the events may be delivered again",
                );
              resolve();
            }),
          ),
      ),
    );
  }

  #parse(message: StringMessage): CloudEvent {
    const event = parseEvent(message.value ?? "");
    // The processed-events table keys on UUIDs; no retry could record another id.
    if (this.options.db && !uuid.test(event.id))
      throw new Error(`event id ${JSON.stringify(event.id)} is not a UUID`);
    return event;
  }

  /**
   * Handles the deliveries together; when that fails, drops the event the handler named as
   * unprocessable and tries the rest together again, or else takes them one at a time.
   */
  async #settle(deliveries: readonly Delivery[]): Promise<void> {
    let pending = deliveries;
    while (pending.length > 0) {
      const failure = await this.#attempt(pending, 1).then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      if (!failure) return;
      if (pending.length === 1) return this.#retry(pending[0]!, failure);
      const culprit =
        failure instanceof UnprocessableEventError
          ? pending.find((d) => d.event.id === failure.eventId)
          : undefined;
      if (culprit) {
        await this.#deadLetter(culprit.message, failure.message, 1);
        pending = pending.filter((d) => d !== culprit);
        continue;
      }
      this.options.logger.warn(
        { err: failure.message, events: pending.length },
        "a batch of events failed; handling them one at a time",
      );
      for (const delivery of pending) await this.#settle([delivery]);
      return;
    }
  }

  /** One event after its first attempt failed: backoff and retries, then the dead-letter topic. */
  async #retry(delivery: Delivery, firstFailure: Error): Promise<void> {
    const { logger, maxAttempts = 5, backoffMs = 200 } = this.options;
    let failure = firstFailure;
    for (let attempt = 1; ; attempt++) {
      if (failure instanceof UnprocessableEventError || attempt >= maxAttempts)
        return this.#deadLetter(delivery.message, failure.message, attempt);
      logger.warn(
        { err: failure.message, eventId: delivery.event.id, attempt },
        "event handling failed; retrying",
      );
      await sleep(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      try {
        return await this.#attempt([delivery], attempt + 1);
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
      }
    }
  }

  /** Hands the events over once, in a transaction that records their ids when there is a database. */
  #attempt(deliveries: readonly Delivery[], attempt: number): Promise<void> {
    const { topic, partition } = deliveries[0]!.message;
    const batch = { topic, partition, attempt };
    const { db, handler, group } = this.options;
    return this.#traced(deliveries, async () => {
      if (!db)
        return handler(
          deliveries.map((d) => d.event),
          batch,
        );
      await db.transaction(async (tx) => {
        // The first delivery of each event id not recorded before, by its place in the batch.
        const fresh = await tx.query<{ n: string }>(
          `WITH input AS (SELECT id::uuid AS event_id, n FROM unnest($2::text[]) WITH ORDINALITY AS u(id, n)),
             recorded AS (
               INSERT INTO processed_events (consumer, event_id) SELECT $1, event_id FROM input
               ON CONFLICT DO NOTHING RETURNING event_id)
           SELECT min(n) AS n FROM input JOIN recorded USING (event_id) GROUP BY event_id ORDER BY 1`,
          [group, deliveries.map((d) => d.event.id)],
        );
        const events = fresh.map(({ n }) => deliveries[Number(n) - 1]!.event);
        if (events.length > 0) await handler(events, { ...batch, tx });
      });
    });
  }

  /**
   * Every event's trace gets a consumer span. A batch of one does its work inside that span;
   * a larger batch works inside a span of its own that links to each event's trace.
   */
  async #traced(deliveries: readonly Delivery[], work: () => Promise<void>): Promise<void> {
    const { topic } = deliveries[0]!.message;
    const attributes = {
      "messaging.system": "kafka",
      "messaging.destination.name": topic,
      "messaging.consumer.group.name": this.options.group,
      "messaging.batch.message_count": deliveries.length,
    };
    const name = `${topic} process`;
    const spans = deliveries.map((d) =>
      tracer().startSpan(
        name,
        { kind: SpanKind.CONSUMER, attributes: { ...attributes, "messaging.message.id": d.event.id } },
        traceOf(d.message),
      ),
    );
    const end = (failure?: Error) => {
      for (const span of spans) {
        if (failure) span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
        span.end();
      }
    };
    const inside = (span: Span) => context.with(trace.setSpan(context.active(), span), work);
    const batchSpan =
      spans.length === 1
        ? undefined
        : tracer().startSpan(`${name} batch`, {
            kind: SpanKind.CONSUMER,
            attributes,
            links: spans.map((span) => ({ context: span.spanContext() })),
          });
    try {
      await inside(batchSpan ?? spans[0]!);
      end();
    } catch (err) {
      end(err as Error);
      batchSpan?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      batchSpan?.end();
    }
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
