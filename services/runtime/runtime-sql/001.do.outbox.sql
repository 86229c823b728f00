-- The transactional outbox: a state change and its CloudEvent commit together; the relay
-- publishes unpublished rows to Kafka in id order and marks them.
CREATE TABLE IF NOT EXISTS outbox (
  id           bigserial PRIMARY KEY,
  event_id     uuid NOT NULL UNIQUE,
  topic        text NOT NULL,
  -- The aggregate id: Kafka's partition key, so one aggregate's events stay in order.
  key          text NOT NULL,
  headers      jsonb NOT NULL DEFAULT '{}',
  event        jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
