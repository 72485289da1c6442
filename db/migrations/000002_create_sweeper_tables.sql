-- What the sweeper did on each tick (the dashboard's "last sweep" and lag come from here), and
-- the state of each alert, kept in the database because the sweeper scales to zero between
-- ticks and must raise and clear each alert only once.

CREATE TABLE sweeper_runs (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL,
  flights_ended  integer NOT NULL,
  report         jsonb NOT NULL
);

CREATE INDEX sweeper_runs_finished_at_idx ON sweeper_runs (finished_at DESC);

CREATE TABLE pipeline_alerts (
  name        text PRIMARY KEY,
  active      boolean NOT NULL,
  value       double precision,
  threshold   double precision,
  details     jsonb NOT NULL DEFAULT '{}',
  raised_at   timestamptz,
  cleared_at  timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
