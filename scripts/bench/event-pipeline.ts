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

async function withClients<T>(
  urls: readonly string[],
  use: (clients: pg.Client[]) => Promise<T>,
): Promise<T> {
  // One connection per database for the whole wait: a connection per poll would start a
  // backend process each time, whose CPU the bench could not attribute once it exited.
  const clients = urls.map((connectionString) => new pg.Client({ connectionString }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    return await use(clients);
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

const withClient = <T>(url: string, use: (client: pg.Client) => Promise<T>) =>
  withClients([url], ([client]) => use(client!));

const countOf = async (client: pg.Client, sql: string) => Number((await client.query(sql)).rows[0].n);

/**
 * Waits until every producer's outbox is published and the audit store stopped growing
 * (all of it consumed), at most `timeoutMs`; throws naming what is still pending.
 */
export function waitForPipeline(dbs: PipelineDatabases, timeoutMs = 120_000): Promise<void> {
  return withClients([dbs.audit, ...dbs.producers], async ([audit, ...producers]) => {
    const deadline = performance.now() + timeoutMs;
    let lastCount = -1;
    let stableSince = performance.now();
    for (;;) {
      const pending = (
        await Promise.all(
          producers.map((c) => countOf(c, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")),
        )
      ).reduce((a, b) => a + b, 0);
      const stored = await countOf(audit!, "SELECT count(*) AS n FROM audit_events");
      if (stored !== lastCount) [lastCount, stableSince] = [stored, performance.now()];
      if (pending === 0 && performance.now() - stableSince >= 1_500) return;
      if (performance.now() > deadline)
        throw new Error(
          `the event pipeline did not drain in ${timeoutMs / 1000} s: ${pending} events unpublished, audit still at ${stored}`,
        );
      await sleep(250);
    }
  });
}

/**
 * Percentiles of `ms` over the rows of `from` (SQL producing a column `ms`, and `at`, when
 * each was stored), with their count and the last `at`.
 */
async function latencies(client: pg.Client, from: string, params: unknown[]) {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n, max(at) AS last, max(ms) AS max,
            percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ms) AS p
     FROM (${from}) latencies`,
    params,
  );
  const row = rows[0] as { n: number; last: Date | null; max: number | null; p: number[] | null };
  const [p50 = Number.NaN, p95 = Number.NaN, p99 = Number.NaN] = (row.p ?? []).map(Number);
  return { count: row.n, last: row.last, latency: { p50, p95, p99, max: Number(row.max ?? Number.NaN) } };
}

/** Commit -> audit-stored latency of the events whose `time` lies in [from, to), and their rate. */
export async function auditLatency(auditUrl: string, from: Date, to: Date): Promise<Measurement> {
  const result = await withClient(auditUrl, (c) =>
    latencies(
      c,
      `SELECT recorded_at AS at, extract(epoch FROM recorded_at - time) * 1000 AS ms
       FROM audit_events WHERE time >= $1 AND time < $2`,
      [from, to],
    ),
  );
  const seconds = (to.getTime() - from.getTime()) / 1000;
  return {
    requestsPerSecond: result.count / seconds,
    requests: result.count,
    errors: 0,
    latency: result.latency,
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
  onCommitted: () => void,
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
  // Writing the backlog is the bench's work, not the pipeline's: the CPU window opens now.
  onCommitted();
  await waitForPipeline(dbs);
  const published = await withClient(producerUrl, async (c) => {
    const { rows } = await c.query(
      "SELECT max(published_at) AS last FROM outbox WHERE event->'data'->>'marker' = $1",
      [marker],
    );
    return rows[0].last as Date;
  });
  const stored = await withClient(dbs.audit, (c) =>
    latencies(
      c,
      `SELECT recorded_at AS at, extract(epoch FROM recorded_at - $2::timestamptz) * 1000 AS ms
       FROM audit_events WHERE data->>'marker' = $1`,
      [marker, committed],
    ),
  );
  const seconds = ((stored.last?.getTime() ?? Number.NaN) - committed.getTime()) / 1000;
  return {
    requestsPerSecond: stored.count / seconds,
    requests: stored.count,
    errors: count - stored.count,
    latency: stored.latency,
    extra: {
      seconds,
      relayPerSecond: count / ((published.getTime() - committed.getTime()) / 1000),
    },
  };
}
