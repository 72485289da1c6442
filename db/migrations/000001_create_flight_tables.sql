-- Live state and flight history, split as in the original plan: live_flights holds one row per
-- aircraft currently tracked, flight_histories one row per flight. Live rows are deleted when a
-- flight ends while histories are kept, so the reference points from live_flights to
-- flight_histories.

CREATE TABLE flight_histories (
  flight_uuid     uuid PRIMARY KEY,
  icao24          text NOT NULL CHECK (icao24 ~ '^[0-9a-f]{6}$'),
  callsign        text CHECK (callsign <> ''),
  origin_country  text,
  start_time      timestamptz NOT NULL,
  end_time        timestamptz CHECK (end_time >= start_time),
  -- [[lat, lon, unix_seconds], ...] in time order, sampled at most every few minutes
  route_data      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(route_data) = 'array')
)
-- Free space on each page lets a waypoint append be a HOT update (no index entries to write).
WITH (fillfactor = 75);

-- Tracks of one aircraft, newest first (dashboard search by icao24 and time range).
CREATE INDEX flight_histories_icao24_start_time_idx ON flight_histories (icao24, start_time DESC);
-- Flights in a time range, and paging through all of them.
CREATE INDEX flight_histories_start_time_idx ON flight_histories (start_time DESC, flight_uuid);
-- Callsign search, exact or by prefix (text_pattern_ops serves LIKE 'DLH4%').
CREATE INDEX flight_histories_callsign_idx ON flight_histories (callsign text_pattern_ops, start_time DESC);
-- Open flights (the sweeper and the status panel count them).
CREATE INDEX flight_histories_open_idx ON flight_histories (start_time) WHERE end_time IS NULL;
-- Finished flights by end time (flights ended today, retention).
CREATE INDEX flight_histories_end_time_idx ON flight_histories (end_time) WHERE end_time IS NOT NULL;

CREATE TABLE live_flights (
  icao24            text PRIMARY KEY CHECK (icao24 ~ '^[0-9a-f]{6}$'),
  flight_uuid       uuid NOT NULL UNIQUE REFERENCES flight_histories (flight_uuid),
  callsign          text CHECK (callsign <> ''),
  origin_country    text,
  lat               double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lon               double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  altitude          double precision,  -- barometric, metres
  geo_altitude      double precision,  -- geometric (GNSS), metres
  velocity_kmh      double precision,  -- ground speed, OpenSky's m/s * 3.6
  heading           double precision,  -- true track, degrees clockwise from north
  vertical_rate     double precision,  -- m/s, positive when climbing
  on_ground         boolean NOT NULL,
  squawk            text,
  spi               boolean NOT NULL DEFAULT false,
  position_source   smallint,          -- 0 ADS-B, 1 ASTERIX, 2 MLAT, 3 FLARM
  category          smallint,          -- OpenSky aircraft category (extended=1), 0..20
  time_position     timestamptz,
  last_contact      timestamptz NOT NULL,
  -- time of the position last sampled into the flight's route_data (the 5-minute rule)
  last_waypoint_at  timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The sweeper's `WHERE last_contact < now() - interval '20 minutes'`.
CREATE INDEX live_flights_last_contact_idx ON live_flights (last_contact);

-- One row per delivery stream (Kafka partition, or the producer's partition key), so processors
-- writing different partitions never wait on each other's status row.
CREATE TABLE pipeline_status (
  stream            text PRIMARY KEY,
  last_event_id     text NOT NULL,
  last_data_time    timestamptz NOT NULL,
  last_write_at     timestamptz NOT NULL DEFAULT now(),
  deliveries        bigint NOT NULL DEFAULT 0,
  states_received   bigint NOT NULL DEFAULT 0,
  states_accepted   bigint NOT NULL DEFAULT 0,
  states_dropped    bigint NOT NULL DEFAULT 0
);

-- Inbox: every delivery the processor committed, by CloudEvent source and id, so a redelivered
-- event is recognised and skipped. Old rows are pruned by the sweeper.
CREATE TABLE processed_events (
  source        text NOT NULL,
  id            text NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, id)
);

CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);
