import type { Queryable } from "../runtime/postgres.js";

/**
 * A circuit breaker per endpoint: one owner's webhook URL. After `failureThreshold`
 * consecutive failed attempts the circuit opens, and the endpoint's deliveries wait (they
 * stay pending, their attempts uncounted, the reason in the delivery log) instead of each
 * spending a delivery slot and a timeout on a receiver that is down. After `cooldownMs` one
 * delivery goes as a probe: a success closes the circuit and the rest follow, a failure
 * opens it for another cool-down.
 *
 * The endpoint is the owner's URL, not the host: a breaker shared by every owner of
 * hooks.example.com would let one user's failing path (or a webhook aimed at someone
 * else's receiver, which refuses our signature) stop another user's deliveries.
 */
export interface CircuitPolicy {
  /** Consecutive failed attempts that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit waits before a probe. */
  readonly cooldownMs: number;
}

/** A circuit with failures on record; an endpoint without one is closed and healthy. */
export interface Circuit {
  readonly state: "closed" | "open";
  /** Consecutive failed attempts. */
  readonly failures: number;
  readonly lastError: string;
  /** When an open circuit lets a probe through. */
  readonly retryAt: Date | undefined;
}

export interface Endpoint {
  readonly ownerId: string;
  readonly url: string;
}

/**
 * The circuit after an attempt ended: undefined (closed, nothing on record) after a
 * success; otherwise one more failure, open at the threshold, and an open circuit whose
 * probe failed waits another cool-down.
 */
export function nextCircuit(
  current: Circuit | undefined,
  outcome: { readonly error?: string },
  policy: CircuitPolicy,
  now: Date,
): Circuit | undefined {
  if (outcome.error === undefined) return undefined;
  const failures = (current?.failures ?? 0) + 1;
  const open = current?.state === "open" || failures >= policy.failureThreshold;
  return {
    state: open ? "open" : "closed",
    failures,
    lastError: outcome.error,
    retryAt: open ? new Date(now.getTime() + policy.cooldownMs) : undefined,
  };
}

interface CircuitRow {
  state: "closed" | "open";
  failures: number;
  last_error: string;
  retry_at: Date | null;
}

const endpointLock =
  "SELECT pg_advisory_xact_lock(hashtext('notifications.endpoint:' || $1::text || ' ' || $2::text))";

/**
 * Records an attempt's outcome on its endpoint's circuit, in the caller's transaction
 * (which records the attempt). Attempts to one endpoint end concurrently, so they take
 * turns on a lock: no failure is lost to a race. Returns the circuit before and after.
 */
export async function recordEndpointOutcome(
  tx: Queryable,
  endpoint: Endpoint,
  outcome: { readonly error?: string },
  policy: CircuitPolicy,
): Promise<{ before: Circuit | undefined; after: Circuit | undefined }> {
  const key = [endpoint.ownerId, endpoint.url];
  await tx.query(endpointLock, key);
  const [row] = await tx.query<CircuitRow>(
    "SELECT state, failures, last_error, retry_at FROM endpoint_circuits WHERE owner_id = $1 AND url = $2",
    key,
  );
  const before = row && {
    state: row.state,
    failures: row.failures,
    lastError: row.last_error,
    retryAt: row.retry_at ?? undefined,
  };
  const after = nextCircuit(before, outcome, policy, new Date());
  if (!after) {
    if (before) await tx.query("DELETE FROM endpoint_circuits WHERE owner_id = $1 AND url = $2", key);
  } else {
    await tx.query(
      `INSERT INTO endpoint_circuits (owner_id, url, state, failures, last_error, retry_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (owner_id, url) DO UPDATE
       SET state = $3, failures = $4, last_error = $5, retry_at = $6, probing_until = NULL, updated_at = now()`,
      [...key, after.state, after.failures, after.lastError, after.retryAt ?? null],
    );
  }
  return { before, after };
}

/** Forgets an owner's endpoint once no webhook of theirs uses the URL any more. */
export function forgetEndpoint(tx: Queryable, endpoint: Endpoint): Promise<unknown> {
  return tx.query(
    `DELETE FROM endpoint_circuits c WHERE c.owner_id = $1 AND c.url = $2
     AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.owner_id = $1 AND w.url = $2)`,
    [endpoint.ownerId, endpoint.url],
  );
}
