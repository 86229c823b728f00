import type { CloudEvent } from "../runtime/events.js";
import type { Queryable } from "../runtime/postgres.js";
import { type ChainedFields, chainHash, genesisHash } from "./chain.js";
import { eventRecord } from "./record.js";

/** An event as the store holds it: the hashed fields and the two hashes. */
export interface StoredEvent extends ChainedFields {
  readonly previousHash: string;
  readonly hash: string;
}

/** Timestamps leave the database in the one text form the chain hashes (see chain.ts). */
const canonicalTime = (expression: string) =>
  `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

// `sequence` leaves as text (a bigint is exact that way); ORDER BY must then name the table's
// column, audit_events.sequence, or it would sort the text ("10" before "9").
const columns = `sequence::text AS sequence, event_id AS "eventId", type, source, subject,
  entity_type AS "entityType", entity_id AS "entityId", actor, trace_id AS "traceId",
  ${canonicalTime("time")} AS time, ${canonicalTime("recorded_at")} AS "recordedAt", data,
  previous_hash AS "previousHash", hash`;

/** What an append did: the events it chained, in order, and those the trail already held. */
export interface Appended {
  readonly stored: readonly ChainedFields[];
  readonly alreadyStored: readonly string[];
}

interface ChainPlaces {
  previousHash: string;
  sequences: string[];
  times: string[];
  recordedAt: string;
  present: string[];
}

/**
 * Appends events to the chain, in the given order, in the caller's transaction (the
 * consumer's, which also records their ids): one hold of the chain lock, one read of the
 * head, one insert of every row. The transaction-scoped advisory lock makes appends from
 * every replica take turns until commit, so each reads the head its predecessor committed
 * and no two rows share a predecessor. An event id the trail already holds (delivered to
 * another consumer group before) is left out, and the chain runs on past it. An event that
 * cannot be stored faithfully is refused, naming it, before anything is written.
 */
export async function appendToChain(tx: Queryable, events: readonly CloudEvent[]): Promise<Appended> {
  const records = events.map(eventRecord);
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('platform.audit.chain'))");
  // The head, a sequence number per event (in allocation order), each event's time in the
  // canonical text the chain hashes, one recording time, and which ids are already stored.
  const [places] = await tx.query<ChainPlaces>(
    `SELECT coalesce((SELECT hash FROM audit_events ORDER BY sequence DESC LIMIT 1), $3) AS "previousHash",
       ARRAY(SELECT nextval(pg_get_serial_sequence('audit_events', 'sequence'))::text
             FROM generate_series(1, cardinality($1::text[]))) AS sequences,
       ARRAY(SELECT ${canonicalTime("t::timestamptz")} FROM unnest($2::text[]) WITH ORDINALITY AS u(t, n)
             ORDER BY n) AS times,
       ${canonicalTime("clock_timestamp()")} AS "recordedAt",
       ARRAY(SELECT event_id FROM audit_events WHERE event_id = ANY($1::text[])) AS present`,
    [records.map((r) => r.eventId), records.map((r) => r.time), genesisHash],
  );
  const { sequences, times, recordedAt } = places!;
  const seen = new Set(places!.present);
  const sequence = sequences.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const stored: (ChainedFields & { previousHash: string; hash: string })[] = [];
  const alreadyStored: string[] = [];
  let previousHash = places!.previousHash;
  for (const [i, record] of records.entries()) {
    if (seen.has(record.eventId)) {
      alreadyStored.push(record.eventId);
      continue;
    }
    seen.add(record.eventId);
    const fields: ChainedFields = {
      ...record,
      sequence: String(sequence[stored.length]),
      time: times[i]!,
      recordedAt,
    };
    const hash = chainHash(previousHash, fields);
    stored.push({ ...fields, previousHash, hash });
    previousHash = hash;
  }
  if (stored.length > 0)
    await tx.query(
      `INSERT INTO audit_events (sequence, event_id, type, source, subject, entity_type, entity_id, actor,
         trace_id, time, recorded_at, data, previous_hash, hash)
       SELECT sequence, event_id, type, source, subject, entity_type, entity_id, actor,
         trace_id, time, recorded_at, data, previous_hash, hash
       FROM jsonb_to_recordset($1::jsonb) AS r(sequence bigint, event_id text, type text, source text,
         subject text, entity_type text, entity_id text, actor text, trace_id text, time timestamptz,
         recorded_at timestamptz, data jsonb, previous_hash text, hash text)`,
      [JSON.stringify(stored.map(row))],
    );
  return { stored, alreadyStored };
}

/** A chained event as the insert's JSON record. */
const row = (e: ChainedFields & { previousHash: string; hash: string }) => ({
  sequence: e.sequence,
  event_id: e.eventId,
  type: e.type,
  source: e.source,
  subject: e.subject,
  entity_type: e.entityType,
  entity_id: e.entityId,
  actor: e.actor,
  trace_id: e.traceId,
  time: e.time,
  recorded_at: e.recordedAt,
  data: e.data,
  previous_hash: e.previousHash,
  hash: e.hash,
});

/** Which events a listing reads: one entity's, one actor's, or one trace's. */
export type EventFilter =
  | { readonly entityType: string; readonly entityId: string }
  | { readonly actor: string }
  | { readonly traceId: string };

function where(filter: EventFilter): { sql: string; params: string[] } {
  if ("entityType" in filter)
    return { sql: "entity_type = $1 AND entity_id = $2", params: [filter.entityType, filter.entityId] };
  if ("actor" in filter) return { sql: "actor = $1", params: [filter.actor] };
  return { sql: "trace_id = $1", params: [filter.traceId] };
}

/** Events matching `filter` after sequence `after`, oldest first, at most `limit`. */
export function listEvents(
  db: Queryable,
  filter: EventFilter,
  after: string,
  limit: number,
): Promise<StoredEvent[]> {
  const { sql, params } = where(filter);
  const n = params.length;
  return db.query<StoredEvent>(
    `SELECT ${columns} FROM audit_events WHERE ${sql} AND sequence > $${n + 1}
     ORDER BY audit_events.sequence LIMIT $${n + 2}`,
    [...params, after, limit],
  );
}

/** The whole chain from `after` on, a batch at a time: memory stays bounded by `batchSize`. */
export async function* chainFrom(db: Queryable, batchSize: number, after = "0"): AsyncGenerator<StoredEvent> {
  let position = after;
  for (;;) {
    const batch = await db.query<StoredEvent>(
      `SELECT ${columns} FROM audit_events WHERE sequence > $1 ORDER BY audit_events.sequence LIMIT $2`,
      [position, batchSize],
    );
    yield* batch;
    if (batch.length < batchSize) return;
    position = batch[batch.length - 1]!.sequence;
  }
}

/**
 * The entity's owner: the `user_id` of its state in the first event that carries one
 * (orders, sessions, API keys, webhooks carry it; products have none).
 */
export async function entityOwner(
  db: Queryable,
  entityType: string,
  entityId: string,
): Promise<string | undefined> {
  const [row] = await db.query<{ owner: string }>(
    `SELECT data -> $1 ->> 'user_id' AS owner FROM audit_events
     WHERE entity_type = $1 AND entity_id = $2 AND data -> $1 ->> 'user_id' IS NOT NULL
     ORDER BY sequence LIMIT 1`,
    [entityType, entityId],
  );
  return row?.owner;
}

/** An entity's events up to a time: how many, and the data of the last one carrying its state. */
export interface EntityTimeline {
  readonly applied: number;
  readonly lastSnapshot: { readonly data: unknown } | undefined;
}

/**
 * Only the last event with a state (`data.<entity>` present) can decide the fold (see
 * fold.ts), so only that one is read. `at` is RFC 3339, or undefined for now.
 */
export async function entityTimeline(
  db: Queryable,
  entityType: string,
  entityId: string,
  at: string | undefined,
): Promise<EntityTimeline> {
  const [row] = await db.query<{ applied: string; found: boolean; data: unknown }>(
    `WITH upto AS (
       SELECT sequence, data FROM audit_events
       WHERE entity_type = $1 AND entity_id = $2 AND ($3::timestamptz IS NULL OR time <= $3::timestamptz)
     )
     SELECT (SELECT count(*) FROM upto) AS applied, last.data, last.data IS NOT NULL AS found
     FROM (SELECT 1) AS one
     LEFT JOIN LATERAL (SELECT data FROM upto WHERE jsonb_typeof(data) = 'object' AND data ? $1 ORDER BY sequence DESC LIMIT 1) AS last ON true`,
    [entityType, entityId, at ?? null],
  );
  return {
    applied: Number(row?.applied ?? 0),
    lastSnapshot: row?.found ? { data: row.data } : undefined,
  };
}
