-- Fair delivery (delivery-worker.ts, claims.ts). A claimed delivery's lease is explicit, so
-- the deliveries in flight per owner can be counted against the per-owner cap; it is
-- cleared when the attempt is recorded, and simply runs out when a worker dies mid-send.
ALTER TABLE deliveries ADD COLUMN leased_until timestamptz;
CREATE INDEX deliveries_leased ON deliveries (leased_until) WHERE leased_until IS NOT NULL;

-- A circuit breaker per endpoint (an owner's webhook URL) that failed recently
-- (circuits.ts). No row: closed, and the last attempt succeeded.
CREATE TABLE endpoint_circuits (
  owner_id      text NOT NULL,
  url           text NOT NULL,
  state         text NOT NULL CHECK (state IN ('closed', 'open')),
  -- Consecutive failed attempts, and how the last one failed.
  failures      integer NOT NULL CHECK (failures > 0),
  last_error    text NOT NULL,
  -- Open: when one delivery may go as a probe.
  retry_at      timestamptz,
  -- A probe is in flight until then (its lease): no second one meanwhile.
  probing_until timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, url),
  CHECK ((state = 'open') = (retry_at IS NOT NULL))
);
