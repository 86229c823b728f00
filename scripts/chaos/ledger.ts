/**
 * Event accounting across the pipeline: what the services committed to their outboxes
 * against what audit stored. An event is lost when it was committed and audit never stored
 * it once the pipeline has drained; duplicated when audit holds it more than once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { postgresNames } from "../../components/postgres/postgres-plan.js";

/** The last outbox id of each publishing service: where an experiment's events begin. */
export type OutboxMarks = Readonly<Record<string, number>>;

export interface EventAccount {
  /** Events committed to the outboxes since the marks. */
  readonly committed: number;
  /** Of those, still not marked sent by their relay. */
  readonly unsent: number;
  /** Committed and not stored by audit. */
  readonly lost: number;
  /** Stored by audit more than once (by event id). */
  readonly duplicated: number;
  /** How long the pipeline took to drain after the load stopped, in ms (or the wait, if it did not). */
  readonly drainMs: number;
}

async function withDatabase<T>(adminUrl: string, database: string, work: (c: pg.Client) => Promise<T>) {
  const url = new URL(adminUrl);
  url.pathname = `/${postgresNames(database).database}`;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export class EventLedger {
  constructor(
    /** A superuser's URL on the platform's PostgreSQL. */
    private readonly adminUrl: string,
    /** Services with an outbox (the registry's publishers). */
    private readonly publishers: readonly string[],
  ) {}

  async marks(): Promise<OutboxMarks> {
    const entries = await Promise.all(
      this.publishers.map(async (service) => {
        const { rows } = await withDatabase(this.adminUrl, service, (c) =>
          c.query<{ id: string | null }>("SELECT max(id)::text AS id FROM outbox"),
        );
        return [service, Number(rows[0]?.id ?? 0)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** Counts the events committed since `marks`: sent or not, stored once, stored twice. */
  async account(marks: OutboxMarks, drainMs = 0): Promise<EventAccount> {
    const committed: string[] = [];
    let unsent = 0;
    for (const service of this.publishers) {
      const { rows } = await withDatabase(this.adminUrl, service, (c) =>
        c.query<{ event_id: string; sent: boolean }>(
          "SELECT event_id::text AS event_id, published_at IS NOT NULL AS sent FROM outbox WHERE id > $1",
          [marks[service] ?? 0],
        ),
      );
      for (const row of rows) {
        committed.push(row.event_id);
        if (!row.sent) unsent++;
      }
    }
    const { rows } = await withDatabase(this.adminUrl, "audit", (c) =>
      c.query<{ stored: string; distinct_stored: string }>(
        `SELECT count(*)::text AS stored, count(DISTINCT event_id)::text AS distinct_stored
           FROM audit_events WHERE event_id = ANY($1::text[])`,
        [committed],
      ),
    );
    const stored = Number(rows[0]?.stored ?? 0);
    const distinct = Number(rows[0]?.distinct_stored ?? 0);
    return {
      committed: committed.length,
      unsent,
      lost: committed.length - distinct,
      duplicated: stored - distinct,
      drainMs,
    };
  }

  /**
   * Waits until every event committed since `marks` is in audit, or `timeoutMs` passes,
   * and returns the account then: what is still missing at the end is lost.
   */
  async drain(marks: OutboxMarks, timeoutMs: number): Promise<EventAccount> {
    const started = Date.now();
    for (;;) {
      const account = await this.account(marks, Date.now() - started).catch(() => undefined);
      if (account && (account.lost === 0 || Date.now() - started > timeoutMs)) return account;
      if (!account && Date.now() - started > timeoutMs) return this.account(marks, Date.now() - started);
      await sleep(1_000);
    }
  }
}
