-- Wakes the relay when events are written, in the writer's own statement instead of a
-- pg_notify round trip of its own. NOTIFY is delivered only on commit, and repeated
-- notifications of one transaction fold into one.
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify
  AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
