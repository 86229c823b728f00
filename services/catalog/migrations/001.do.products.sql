-- Products, prices and stock. Stock can never go negative: the CHECK is the last line of
-- defence behind the conditional UPDATE that reserves it.
CREATE TABLE products (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sku         text NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
  category    text NOT NULL CHECK (category ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  stock       integer NOT NULL CHECK (stock >= 0),
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Keyset pagination: (created_at, id) is unique and stable under inserts.
CREATE INDEX products_listing ON products (created_at, id);
CREATE INDEX products_by_category ON products (category, created_at, id);

-- One reservation per order; the idempotency key makes a retried ReserveStock return the
-- first outcome instead of reserving twice.
CREATE TABLE stock_reservations (
  idempotency_key   text PRIMARY KEY,
  order_id          text NOT NULL UNIQUE,
  state             text NOT NULL CHECK (state IN ('reserved', 'released')),
  lines             jsonb NOT NULL,
  release_key       text UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now(),
  released_at       timestamptz
);
