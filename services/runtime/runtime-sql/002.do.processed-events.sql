-- Events a consumer has durably handled: the same event delivered twice is handled once.
CREATE TABLE IF NOT EXISTS processed_events (
  consumer     text NOT NULL,
  event_id     uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
