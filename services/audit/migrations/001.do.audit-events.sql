-- The audit trail: every event of every service, once, in the order it was recorded. Each
-- row carries the hash of the row before it and its own hash over its stored fields
-- (services/audit/README.md defines both), so a changed, removed or inserted row breaks
-- the chain where it happened.
CREATE TABLE audit_events (
  -- The chain order; assigned under the chain lock, so it grows with commit order (gaps from
  -- rolled-back appends are harmless: the hashes, not the numbers, link the chain).
  sequence      bigserial   PRIMARY KEY,
  event_id      text        NOT NULL UNIQUE,
  type          text        NOT NULL,
  source        text        NOT NULL,
  subject       text        NOT NULL,
  entity_type   text        NOT NULL,
  entity_id     text        NOT NULL,
  actor         text,
  -- From the CloudEvent's traceparent: one distributed transaction across services.
  trace_id      text        CHECK (trace_id ~ '^[0-9a-f]{32}$'),
  -- When the change happened (the producer's clock); recorded_at is when the audit stored it.
  time          timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL,
  data          jsonb       NOT NULL,
  -- UNIQUE: two rows claiming the same predecessor would be a fork; the database refuses it
  -- even if a writer skipped the chain lock. The genesis value can therefore start one chain only.
  previous_hash text        NOT NULL UNIQUE CHECK (previous_hash ~ '^[0-9a-f]{64}$'),
  hash          text        NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);

CREATE INDEX audit_events_by_entity ON audit_events (entity_type, entity_id, sequence);
CREATE INDEX audit_events_by_actor ON audit_events (actor, sequence) WHERE actor IS NOT NULL;
CREATE INDEX audit_events_by_trace ON audit_events (trace_id, sequence) WHERE trace_id IS NOT NULL;

-- Append-only, twice over.
--
-- 1. Privileges: nobody, the service's own role included, holds UPDATE, DELETE or TRUNCATE,
--    so the service's code cannot change history even through a bug or an injected query.
-- 2. Triggers: they refuse UPDATE, DELETE and TRUNCATE whoever asks. Privileges alone do
--    not bind the table's owner (it may grant itself the privileges back) nor a superuser
--    (who bypasses privilege checks). With the triggers, changing a row takes a deliberate,
--    visible step first: ALTER TABLE ... DISABLE TRIGGER (owner, DDL that statement logging
--    records) or session_replication_role = replica (superuser only). What gets through
--    anyway, VerifyChain finds: the hash chain is the last line.
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is refused', TG_OP
    USING ERRCODE = 'restrict_violation',
          HINT = 'audit events are never changed or removed; record a new event instead';
END
$$;

CREATE TRIGGER audit_events_no_update_or_delete
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();

CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM CURRENT_USER;
