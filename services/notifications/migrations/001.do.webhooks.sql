-- Webhook subscriptions. The signing secret is sealed (AES-256-GCM under the service's
-- key-encryption key, bound to the webhook id): the database never holds it in clear.
CREATE TABLE webhooks (
  id            uuid PRIMARY KEY,
  owner_id      text NOT NULL CHECK (owner_id <> ''),
  -- 'all' (created by an admin) receives every matching event; 'own' only public ones and
  -- those about the owner (audience.ts).
  scope         text NOT NULL CHECK (scope IN ('all', 'own')),
  url           text NOT NULL CHECK (length(url) <= 2048),
  event_types   text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 50),
  secret_sealed bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_by_owner ON webhooks (owner_id, created_at, id);
-- Matching an event: event_types && <the type and its wildcards>.
CREATE INDEX webhooks_by_event_type ON webhooks USING gin (event_types);

-- The delivery log: one row per (webhook, event), its state and its last attempt. Deleting
-- a webhook deletes its log.
CREATE TABLE deliveries (
  id               uuid PRIMARY KEY,
  -- Listing order, newest first, and the cursor of ListDeliveries.
  seq              bigserial NOT NULL UNIQUE,
  webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id         text NOT NULL,
  event_type       text NOT NULL,
  -- The CloudEvent as consumed (json keeps its text, so the body sent is the event's own).
  payload          json NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'delivered', 'retrying', 'dead')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- When a worker may take it next: due now, after a backoff, or after a claim's lease.
  next_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (webhook_id, event_id),
  CHECK ((status IN ('pending', 'retrying')) = (next_attempt_at IS NOT NULL))
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, seq);

-- Every attempt, as it ended. An attempt number without a row is one whose worker stopped
-- mid-send; its delivery was taken again after the lease.
CREATE TABLE delivery_attempts (
  delivery_id  uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  started_at   timestamptz NOT NULL,
  duration_ms  integer NOT NULL,
  status_code  integer,
  error        text,
  PRIMARY KEY (delivery_id, attempt)
);
