-- When the measurement behind an alert's stored state was taken. Two sweeper ticks can overlap
-- (a PingSource retry while a slow tick still runs); the one that measured earlier must not
-- overwrite, and so re-raise or re-clear, what the later one already stored.

ALTER TABLE pipeline_alerts ADD COLUMN measured_at timestamptz;
