-- Alert CloudEvents for K_SINK, written in the same transaction as the alert's transition in
-- pipeline_alerts (a transactional outbox): a raise or clear that happened while the sink was
-- down is still delivered, in order, on a later tick. A sent row keeps its sent_at; the sweeper
-- prunes sent rows after its retention period.

CREATE TABLE pipeline_alert_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- the CloudEvent id: stable across retries so a receiver can drop a duplicate
  event_id    uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  alert       text NOT NULL REFERENCES pipeline_alerts (name),
  type        text NOT NULL,
  data        jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz,
  attempts    integer NOT NULL DEFAULT 0,
  last_error  text
);

-- The events still to send, oldest first.
CREATE INDEX pipeline_alert_events_pending_idx ON pipeline_alert_events (id) WHERE sent_at IS NULL;
-- Pruning sent events.
CREATE INDEX pipeline_alert_events_sent_at_idx ON pipeline_alert_events (sent_at)
  WHERE sent_at IS NOT NULL;
