import { z } from "zod";
import { deadLetterTopic, eventsTopic, type ServiceSpec } from "../../contracts/service-spec.js";
import { count } from "./config.js";
import { type EventBatchHandler, EventConsumer } from "./consumer.js";
import { type CloudEvent, type EventInput, newEvent } from "./events.js";
import { createProducer, kafkaEnv } from "./kafka.js";
import type { Logger } from "./logger.js";
import { appendEvent, OutboxRelay, outboxValues } from "./outbox.js";
import type { Database, Queryable } from "./postgres.js";

/** Env of a service that publishes or consumes events. */
export const eventsEnv = {
  ...kafkaEnv,
  KAFKA_CLIENT_ID: z.string().optional(),
  KAFKA_CONSUMER_GROUP: z.string().optional().describe("the consumer group; default: the service name"),
  KAFKA_TOPICS: z
    .string()
    .regex(/^[a-z0-9.-]+(,[a-z0-9.-]+)*$/, { error: "a comma-separated list of topic names" })
    .optional()
    .describe("the topics a consumer reads (derived from the service registry by the deployment)"),
  EVENTS_BATCH_MAX: count
    .pipe(z.number().min(1).max(10_000))
    .default(500)
    .describe("the most events a consumer hands its service in one batch (one transaction)"),
  EVENTS_BATCH_LINGER_MS: count
    .pipe(z.number().max(1_000))
    .default(0)
    .describe("how long a consumer's batch that is not full waits for more events; 0 takes what is there"),
  OUTBOX_LINGER_MS: count
    .pipe(z.number().max(1_000))
    .default(5)
    .describe(
      "how long the relay collects events for one produce request once it is busy; idle, it sends at once",
    ),
  OUTBOX_BATCH_MAX: count
    .pipe(z.number().min(1).max(10_000))
    .default(1_000)
    .describe("the most outbox events one produce request carries"),
};

type EventsConfig = z.output<z.ZodObject<typeof eventsEnv>>;

/** How handlers record state changes: in their transaction, published after commit. */
export interface EventOutbox {
  append<D>(tx: Queryable, input: EventInput<D>): Promise<CloudEvent<D>>;
  /**
   * The event and its outbox row's values (in the order of `outboxColumns`), for a handler
   * that writes a change and its event in one statement: `WITH changed AS (...) INSERT INTO
   * outbox (<outboxColumns>) SELECT <values> FROM changed`. One statement is one round
   * trip and commits both or neither, without a transaction around it.
   */
  prepare<D>(input: EventInput<D>): { readonly event: CloudEvent<D>; readonly values: readonly unknown[] };
}

export interface EventWiring {
  readonly outbox: EventOutbox | undefined;
  /** Starts relaying and consuming, once the service serves. */
  start(consume: EventBatchHandler | undefined): Promise<void>;
  /** Stops taking new events (shutdown's first step). */
  stopAccepting(): Promise<void>;
  inFlight(): number;
  close(): Promise<void>;
}

export function needsEvents(spec: ServiceSpec): boolean {
  return spec.events.publishes || spec.events.consumes === "all" || spec.events.consumes.length > 0;
}

/** The producer, outbox relay and consumer a service's registry entry asks for. */
export function wireEvents(
  spec: ServiceSpec,
  config: EventsConfig,
  db: Database | undefined,
  logger: Logger,
): EventWiring {
  const clientId = config.KAFKA_CLIENT_ID ?? spec.name;
  const producer = createProducer(config, clientId);
  const consumes = spec.events.consumes === "all" || spec.events.consumes.length > 0;
  if (spec.events.publishes && !db)
    throw new Error(`${spec.name} publishes events, which needs the postgres store (the outbox)`);
  const relay =
    spec.events.publishes && db
      ? new OutboxRelay({
          service: spec.name,
          db,
          producer,
          logger,
          batchSize: config.OUTBOX_BATCH_MAX,
          lingerMs: config.OUTBOX_LINGER_MS,
        })
      : undefined;
  const topic = eventsTopic(spec.name);
  let consumer: EventConsumer | undefined;

  return {
    outbox: relay
      ? {
          async append(tx, input) {
            const event = newEvent(spec.name, input);
            await appendEvent(tx, topic, event);
            return event;
          },
          prepare(input) {
            const event = newEvent(spec.name, input);
            return { event, values: outboxValues(topic, event) };
          },
        }
      : undefined,
    async start(consume) {
      relay?.start();
      if (!consumes) return;
      if (!consume)
        throw new Error(`${spec.name} consumes events but its start() returned no consume handler`);
      const topics = (config.KAFKA_TOPICS ?? "").split(",").filter(Boolean);
      if (topics.length === 0)
        throw new Error(`${spec.name} consumes events: set KAFKA_TOPICS to the topics it reads`);
      consumer = new EventConsumer({
        service: spec.name,
        group: config.KAFKA_CONSUMER_GROUP ?? spec.name,
        topics,
        kafka: config,
        handler: consume,
        deadLetterTopic: deadLetterTopic(spec.name),
        producer,
        logger,
        db,
        batch: { maxMessages: config.EVENTS_BATCH_MAX, lingerMs: config.EVENTS_BATCH_LINGER_MS },
      });
      await consumer.start();
    },
    async stopAccepting() {
      await consumer?.stop();
    },
    inFlight: () => consumer?.inFlight ?? 0,
    async close() {
      await relay?.stop();
      await producer.close();
    },
  };
}
