-- An alert event the sink refused for good (a 4xx other than 404, 408, 409 and 429, the answers
-- Knative would send to a dead-letter sink) is set aside with the time and the sink's answer
-- instead of blocking every later event; only failures worth retrying keep the queue in order.

ALTER TABLE pipeline_alert_events ADD COLUMN refused_at timestamptz;

DROP INDEX pipeline_alert_events_pending_idx;
CREATE INDEX pipeline_alert_events_pending_idx ON pipeline_alert_events (id)
  WHERE sent_at IS NULL AND refused_at IS NULL;
