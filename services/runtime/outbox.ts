import { setTimeout as sleep } from "node:timers/promises";
import { metrics, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Producer } from "@platformatic/kafka";
import type pg from "pg";
import { metricNames } from "../../contracts/telemetry-schema.js";
import { type CloudEvent, traceHeaders } from "./events.js";
import type { Logger } from "./logger.js";
import type { Database, Queryable } from "./postgres.js";
import { WakeableSleep } from "./wakeable-sleep.js";

const tracer = () => trace.getTracer("platform-runtime");

/**
 * Writes an event in the caller's transaction: it is published if and only if the state
 * change commits. The key (the aggregate id) keeps one aggregate's events in order. The
 * insert wakes the relay through the table's NOTIFY trigger (runtime-sql/003), delivered
 * only if the transaction commits, so it costs no round trip of its own.
 */
export async function appendEvent(tx: Queryable, topic: string, event: CloudEvent): Promise<void> {
  await tx.query(
    `INSERT INTO outbox (${outboxColumns}) VALUES ($1, $2, $3, $4, $5)`,
    outboxValues(topic, event),
  );
}

/** The columns of an outbox row that a writer fills, in the order of `outboxValues`. */
export const outboxColumns = "event_id, topic, key, headers, event";

/** Typed placeholders for `outboxValues` from `$first` on, for `INSERT ... SELECT`. */
export const outboxParams = (first: number): string =>
  ["uuid", "text", "text", "jsonb", "jsonb"].map((type, i) => `$${first + i}::${type}`).join(", ");

/** An event's outbox row; the key is the aggregate id, the headers the current trace. */
export const outboxValues = (topic: string, event: CloudEvent): unknown[] => [
  event.id,
  topic,
  event.entityid,
  JSON.stringify(traceHeaders()),
  JSON.stringify(event),
];

interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  key: string;
  headers: Record<string, string>;
  event: CloudEvent;
}

export interface OutboxRelayOptions {
  readonly service: string;
  readonly db: Database;
  readonly producer: Producer<string, string, string, string>;
  readonly logger: Logger;
  /** Rows published per round, in one produce request. */
  readonly batchSize?: number;
  /**
   * After a round that sent events, how long the relay waits before the next one, so that
   * events committed meanwhile share a produce request (each costs the broker a request's
   * work). An idle relay sends the first event at once, when its NOTIFY arrives.
   */
  readonly lingerMs?: number;
  /** The longest wait between polls when no notification arrives. */
  readonly pollMs?: number;
}

/**
 * Publishes the outbox to Kafka after commit, asynchronously, in id order (so in order per
 * aggregate), and marks what was sent. One replica relays at a time: it holds a Postgres
 * advisory lock on its own connection; the others wait to take over. While Kafka is down,
 * writes keep succeeding and rows wait; the relay retries with capped backoff. A crash
 * between send and mark can send an event twice: consumers deduplicate by event id.
 */
export class OutboxRelay {
  #stopped = false;
  readonly #sleep = new WakeableSleep();
  #loop: Promise<void> | undefined;
  #backlog = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    metrics
      .getMeter("platform-runtime")
      .createObservableGauge(metricNames.outboxBacklog.otel, { unit: metricNames.outboxBacklog.unit })
      .addCallback((result) => result.observe(this.#backlog, { service: options.service }));
  }

  start(): void {
    this.#loop ??= this.#run().catch((err: unknown) =>
      this.options.logger.error({ err }, "outbox relay stopped"),
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#sleep.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { db, logger, service } = this.options;
    while (!this.#stopped) {
      const client = await db.pool.connect().catch(async (err: unknown) => {
        logger.warn({ err: (err as Error).message }, "outbox relay cannot reach PostgreSQL; retrying");
        await sleep(1_000);
        return undefined;
      });
      if (!client) continue;
      // A connection the server ends while the relay holds it (a restart, a failover) emits
      // "error" on the client, which no pool listens for while the client is checked out:
      // unheard, it would end the process. Heard, it ends this round, and the loop reconnects.
      let lost: Error | undefined;
      client.on("error", (err) => {
        lost ??= err;
        this.#sleep.wake();
      });
      try {
        const [lock] = (
          await client.query("SELECT pg_try_advisory_lock(hashtext($1)) AS held", [`outbox:${service}`])
        ).rows;
        if (!lock?.held) {
          await this.#sleep.sleep(this.options.pollMs ?? 2_000);
          continue;
        }
        logger.info("outbox relay active");
        await this.#relayWhileHolding(client, () => lost);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, "outbox relay lost its connection; retrying");
      } finally {
        await client.query("SELECT pg_advisory_unlock_all()").catch(() => undefined);
        // Destroyed, not pooled again: it carried the relay's session settings.
        client.release(true);
      }
    }
  }

  async #relayWhileHolding(client: pg.PoolClient, lost: () => Error | undefined): Promise<void> {
    await client.query("LISTEN outbox");
    // Marking rows sent is bookkeeping: a mark lost in a database crash only means those
    // events are sent again, which consumers skip by their id. So the relay's commits do not
    // wait for the WAL to reach disk (one flush per round, the costliest part of a mark).
    await client.query("SET synchronous_commit = off");
    const onNotify = () => this.#sleep.wake();
    client.on("notification", onNotify);
    const { lingerMs = 5 } = this.options;
    try {
      let failures = 0;
      while (!this.#stopped) {
        const connectionLost = lost();
        if (connectionLost) throw connectionLost;
        try {
          const sent = await this.#publishBatch(client);
          failures = 0;
          if (sent === 0) await this.#sleep.sleep(this.options.pollMs ?? 1_000);
          else if (sent < this.#batchSize && lingerMs > 0) await sleep(lingerMs);
        } catch (err) {
          failures++;
          const delay = Math.min(100 * 2 ** failures, 5_000);
          if (failures === 1 || failures % 20 === 0) {
            this.options.logger.warn(
              { err: (err as Error).message, backlog: this.#backlog },
              "publishing to Kafka failed; events wait in the outbox",
            );
          }
          await this.#sleep.sleep(delay);
        }
      }
    } finally {
      client.off("notification", onNotify);
      await client.query("UNLISTEN outbox").catch(() => undefined);
    }
  }

  get #batchSize(): number {
    return this.options.batchSize ?? 1_000;
  }

  async #publishBatch(client: pg.PoolClient): Promise<number> {
    const limit = this.#batchSize;
    const { rows } = await client.query<OutboxRow & { backlog: string }>(
      `SELECT id, event_id, topic, key, headers, event, count(*) OVER () AS backlog
       FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [limit],
    );
    this.#backlog = Number(rows[0]?.backlog ?? 0);
    if (rows.length === 0) return 0;
    // One producer span per event, in the trace of the request that wrote it: the publish
    // happens later and elsewhere, but belongs to that distributed transaction.
    const spans = rows.map((row) =>
      tracer().startSpan(
        `${row.topic} publish`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            "messaging.system": "kafka",
            "messaging.destination.name": row.topic,
            "messaging.message.id": row.event_id,
            "messaging.kafka.message.key": row.key,
          },
        },
        propagation.extract(ROOT_CONTEXT, row.headers),
      ),
    );
    try {
      await this.options.producer.send({
        messages: rows.map((row) => ({
          topic: row.topic,
          key: row.key,
          value: JSON.stringify(row.event),
          headers: {
            ...row.headers,
            "ce-id": row.event_id,
            "ce-type": row.event.type,
            "content-type": "application/cloudevents+json",
          },
        })),
        acks: -1,
      });
    } catch (err) {
      for (const span of spans)
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      for (const span of spans) span.end();
    }
    await client.query("UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])", [
      rows.map((r) => r.id),
    ]);
    this.#backlog -= rows.length;
    return rows.length;
  }
}
