import type { Database, Queryable } from "../runtime/postgres.js";
import { type ClaimedDelivery, deliveryColumns } from "./deliveries.js";

export interface ClaimOptions {
  /** Deliveries to claim at most: the worker's free slots. */
  readonly limit: number;
  /** How long a claimed delivery stays invisible to other claims. */
  readonly leaseMs: number;
  /** Deliveries of one owner in flight at once, over every replica. */
  readonly perOwner: number;
}

const due = "d.status IN ('pending', 'retrying') AND d.next_attempt_at <= now()";
const lease = "now() + make_interval(secs => $1::double precision / 1000)";

/** Deliveries of endpoints whose circuit is open wait for its probe, and say so. */
const deferWaiting = `
  UPDATE deliveries d
  SET next_attempt_at = c.retry_at,
      last_error = format(
        'waiting: the endpoint failed %s times in a row (last: %s); one delivery goes as a probe at %s, the rest follow once it succeeds',
        c.failures, c.last_error, to_char(c.retry_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
      updated_at = now()
  FROM webhooks w, endpoint_circuits c
  WHERE ${due} AND w.id = d.webhook_id AND c.owner_id = w.owner_id AND c.url = w.url
    AND c.state = 'open' AND c.retry_at > now()`;

const claimFairly = `
  WITH busy AS (
    SELECT w.owner_id, count(*)::int AS n
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.leased_until > now()
    GROUP BY w.owner_id
  ),
  eligible AS (
    SELECT d.id, d.seq, d.next_attempt_at, w.owner_id,
           coalesce(c.state = 'open', false) AS probe,
           row_number() OVER (PARTITION BY w.owner_id, w.url ORDER BY d.next_attempt_at, d.seq) AS in_endpoint
    FROM deliveries d
    JOIN webhooks w ON w.id = d.webhook_id
    LEFT JOIN endpoint_circuits c ON c.owner_id = w.owner_id AND c.url = w.url
    WHERE ${due}
      AND (c.state IS DISTINCT FROM 'open'
           OR (c.retry_at <= now() AND (c.probing_until IS NULL OR c.probing_until <= now())))
  ),
  ranked AS (
    SELECT e.id, e.seq, e.next_attempt_at,
           coalesce(b.n, 0) + row_number() OVER (PARTITION BY e.owner_id ORDER BY e.next_attempt_at, e.seq) AS turn
    FROM eligible e LEFT JOIN busy b USING (owner_id)
    WHERE NOT e.probe OR e.in_endpoint = 1
  ),
  picked AS (
    SELECT d.id
    FROM deliveries d
    JOIN (SELECT id FROM ranked WHERE turn <= $2 ORDER BY turn, next_attempt_at, seq LIMIT $3) r USING (id)
    WHERE ${due}
    FOR UPDATE OF d SKIP LOCKED
  )
  UPDATE deliveries d
  SET attempts = d.attempts + 1, next_attempt_at = ${lease}, leased_until = ${lease}, updated_at = now()
  FROM picked p, webhooks w LEFT JOIN endpoint_circuits c ON c.owner_id = w.owner_id AND c.url = w.url
  WHERE d.id = p.id AND w.id = d.webhook_id
  RETURNING ${deliveryColumns}, d.payload, w.url, w.owner_id, w.secret_sealed,
            coalesce(c.state = 'open', false) AS probe`;

/** A probe in flight holds its circuit's other deliveries back until its outcome is known. */
const markProbes = `
  UPDATE endpoint_circuits c SET probing_until = ${lease}
  FROM unnest($2::text[], $3::text[]) AS p(owner_id, url)
  WHERE c.owner_id = p.owner_id AND c.url = p.url AND c.state = 'open'`;

async function claim(tx: Queryable, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('notifications.claims'))");
  await tx.query(deferWaiting);
  const claimed = await tx.query<ClaimedDelivery>(claimFairly, [
    options.leaseMs,
    options.perOwner,
    options.limit,
  ]);
  const probes = claimed.filter((d) => d.probe);
  if (probes.length > 0)
    await tx.query(markProbes, [options.leaseMs, probes.map((d) => d.owner_id), probes.map((d) => d.url)]);
  return claimed;
}

/**
 * Claims up to `limit` due deliveries for one worker, shared fairly between owners. One
 * global queue in due order let a few owners whose receivers never answer fill every slot
 * for a timeout each, again and again, while everyone else's deliveries waited behind
 * theirs. Now:
 *
 * - **Round robin over owners.** Each owner's due deliveries are numbered in due order,
 *   after the ones it already has in flight, and claims go by that turn: everyone with
 *   something due gets a slot before anyone gets a second one.
 * - **A cap per owner** (`perOwner`), counted over every replica from the claims' leases:
 *   an owner never holds more slots than that, however much it has queued.
 * - **Circuits** (circuits.ts): an endpoint whose circuit is open is skipped; its due
 *   deliveries are pushed to the circuit's probe time with the reason in their `last_error`
 *   (their attempts are not counted: they wait, they are not failed). When that time comes,
 *   one of them goes as the probe, and no other until its outcome is recorded.
 *
 * Claims of all replicas take turns on an advisory lock (a claim takes milliseconds), so
 * the per-owner cap holds exactly; each claim counts the attempt and leases the row for the
 * timeout plus a margin. If the worker dies mid-send, the delivery comes due again when the
 * lease ends, and its slot is free again.
 */
export function claimDueDeliveries(db: Database, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  return db.transaction((tx) => claim(tx, options));
}
