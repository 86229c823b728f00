import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { Measurement } from "./measurement.js";
import { orderProducts } from "./requests.js";

/**
 * The event pipeline as the audit store sees it. Every event carries `time`, set when the
 * producer appended it to its outbox inside the writing transaction (a few hundred µs
 * before commit, in whole milliseconds), and audit stores `recorded_at` when its own
 * transaction appends it: their difference is commit -> outbox relay -> Kafka -> audit's
 * consumer -> stored, on one machine's clock.
 */

/** The databases the pipeline runs through, by service. */
export interface PipelineDatabases {
  readonly audit: string;
  /** Producers' databases, whose outboxes must be empty before a result is read. */
  readonly producers: readonly string[];
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const unpublished = (url: string) =>
  withClient(url, async (c) =>
    Number((await c.query("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")).rows[0].n),
  );

/**
 * Waits until every producer's outbox is published and the audit store stopped growing
 * (all of it consumed), at most `timeoutMs`; throws naming what is still pending.
 */
export async function waitForPipeline(dbs: PipelineDatabases, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastCount = -1;
  let stableSince = performance.now();
  for (;;) {
    const pending = (await Promise.all(dbs.producers.map(unpublished))).reduce((a, b) => a + b, 0);
    const stored = await withClient(dbs.audit, async (c) =>
      Number((await c.query("SELECT count(*) AS n FROM audit_events")).rows[0].n),
    );
    if (stored !== lastCount) [lastCount, stableSince] = [stored, performance.now()];
    if (pending === 0 && performance.now() - stableSince >= 1_500) return;
    if (performance.now() > deadline)
      throw new Error(
        `the event pipeline did not drain in ${timeoutMs / 1000} s: ${pending} events unpublished, audit still at ${stored}`,
      );
    await sleep(250);
  }
}

/** Commit -> audit-stored latency of the events whose `time` lies in [from, to), and their rate. */
export async function auditLatency(auditUrl: string, from: Date, to: Date): Promise<Measurement> {
  const row = await withClient(auditUrl, async (c) => {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n,
              percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ms) AS p,
              max(ms) AS max
       FROM (SELECT extract(epoch FROM recorded_at - time) * 1000 AS ms
             FROM audit_events WHERE time >= $1 AND time < $2) latencies`,
      [from, to],
    );
    return rows[0] as { n: number; p: number[] | null; max: number | null };
  });
  const [p50 = Number.NaN, p95 = Number.NaN, p99 = Number.NaN] = (row.p ?? []).map(Number);
  const seconds = (to.getTime() - from.getTime()) / 1000;
  return {
    requestsPerSecond: row.n / seconds,
    requests: row.n,
    errors: 0,
    latency: { p50, p95, p99, max: Number(row.max ?? Number.NaN) },
  };
}

/**
 * Sustained throughput through the outbox: `count` events committed at once into a
 * producer's outbox (as one transaction of that many writes would), then timed until the
 * relay has published them all and until audit has stored them all. Rate = events over
 * commit -> last stored; `extra.relayPerSecond` stops the clock at the last publish.
 */
export async function drainOutbox(
  dbs: PipelineDatabases,
  producerUrl: string,
  count: number,
): Promise<Measurement> {
  const marker = `bench-drain-${Date.now()}`;
  const committed = await withClient(producerUrl, async (c) => {
    await c.query("BEGIN");
    await c.query(
      `INSERT INTO outbox (event_id, topic, key, event)
       SELECT id, 'orders.events.v1', key, jsonb_build_object(
         'specversion', '1.0', 'id', id, 'source', '/platform/orders',
         'type', 'platform.orders.order.bench-drained', 'subject', 'order/' || key,
         'time', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
         'datacontenttype', 'application/json', 'actor', 'bench', 'entitytype', 'order',
         'entityid', key, 'data', jsonb_build_object('marker', $1::text, 'n', n))
       FROM (SELECT gen_random_uuid() AS id, 'bench-' || (n % ${orderProducts}) AS key, n
             FROM generate_series(1, $2::int) n) events`,
      [marker, count],
    );
    await c.query("SELECT pg_notify('outbox', '')");
    await c.query("COMMIT");
    return new Date();
  });
  await waitForPipeline(dbs);
  const published = await withClient(producerUrl, async (c) => {
    const { rows } = await c.query(
      "SELECT max(published_at) AS last FROM outbox WHERE event->'data'->>'marker' = $1",
      [marker],
    );
    return rows[0].last as Date;
  });
  const stored = await withClient(dbs.audit, async (c) => {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n, max(recorded_at) AS last,
              percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ms) AS p, max(ms) AS max
       FROM (SELECT recorded_at, extract(epoch FROM recorded_at - $2::timestamptz) * 1000 AS ms
             FROM audit_events WHERE data->>'marker' = $1) drained`,
      [marker, committed],
    );
    return rows[0] as { n: number; last: Date; p: number[]; max: number };
  });
  const seconds = (stored.last.getTime() - committed.getTime()) / 1000;
  const [p50 = Number.NaN, p95 = Number.NaN, p99 = Number.NaN] = stored.p.map(Number);
  return {
    requestsPerSecond: stored.n / seconds,
    requests: stored.n,
    errors: count - stored.n,
    latency: { p50, p95, p99, max: Number(stored.max) },
    extra: {
      seconds,
      relayPerSecond: count / ((published.getTime() - committed.getTime()) / 1000),
    },
  };
}
