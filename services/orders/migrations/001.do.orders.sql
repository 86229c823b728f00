-- Orders and the saga bookkeeping that drives them to a final state.
CREATE TABLE orders (
  id              uuid PRIMARY KEY,
  user_id         text NOT NULL,
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  state           text NOT NULL CHECK (state IN ('pending', 'confirmed', 'rejected', 'cancelled')),
  -- [{productId, quantity, unitPriceMinor?, currency?}], in the order the client sent them.
  lines           jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array' AND jsonb_array_length(lines) BETWEEN 1 AND 100),
  total_minor     bigint CHECK (total_minor >= 0),
  currency        char(3) CHECK (currency ~ '^[A-Z]{3}$'),
  reason          text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- The saga's next step while pending: reserve stock, or release it and reject (a one-way door:
  -- once compensation starts, the order is never confirmed, whatever a retried reserve says).
  saga_step       text NOT NULL DEFAULT 'reserve' CHECK (saga_step IN ('reserve', 'release')),
  -- The W3C traceparent of PlaceOrder, so the recovery loop continues the order's trace.
  traceparent     text,
  -- Recovery: attempts so far, the earliest next one (a lease and a backoff), the last failure.
  attempts        integer NOT NULL DEFAULT 0,
  retry_at        timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  UNIQUE (user_id, idempotency_key),
  CHECK ((total_minor IS NULL) = (currency IS NULL)),
  CHECK (state NOT IN ('confirmed', 'cancelled') OR total_minor IS NOT NULL)
);

-- The recovery loop's scan: only pending orders, oldest retry first.
CREATE INDEX orders_pending ON orders (retry_at) WHERE state = 'pending';
