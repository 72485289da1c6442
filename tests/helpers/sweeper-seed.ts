import type pg from 'pg'

import type { LiveState } from '../../shared/db/apply-states.ts'

/**
 * A flight for the sweeper tests. Times are seconds before the database server's `now()`, the
 * clock the sweeper's cutoff uses, so the tests do not depend on the test process's clock.
 */
export interface SeedFlight {
  icao24: string
  /** Seconds between the aircraft's last contact and now. */
  silentSeconds: number
  /** Seconds between the flight's start and its last contact; default one hour. */
  durationSeconds?: number
  /** Set to give the flight an end_time already (at its last contact). */
  ended?: boolean
  /** Whether the aircraft has a live row; default true. */
  live?: boolean
}

/**
 * Inserts flight_histories rows, then live_flights rows pointing at them, the way the processor
 * leaves them. Returns each flight's uuid by icao24.
 */
export async function seedSweeperFlights(
  pool: pg.Pool,
  flights: SeedFlight[]
): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ icao24: string; flight_uuid: string }>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::bool[], $5::bool[])
         AS t(icao24, silent_seconds, duration_seconds, ended, live)
     ), flights AS (
       INSERT INTO flight_histories (flight_uuid, icao24, callsign, start_time, end_time, route_data)
       SELECT gen_random_uuid(), icao24, 'TST' || upper(icao24),
              now() - make_interval(secs => silent_seconds + duration_seconds),
              CASE WHEN ended THEN now() - make_interval(secs => silent_seconds) END,
              '[]'
         FROM input
       RETURNING flight_uuid, icao24
     ), live AS (
       INSERT INTO live_flights (icao24, flight_uuid, lat, lon, on_ground, last_contact,
                                 last_waypoint_at)
       SELECT f.icao24, f.flight_uuid, 48.35, 11.78, false,
              now() - make_interval(secs => i.silent_seconds),
              now() - make_interval(secs => i.silent_seconds)
         FROM flights f JOIN input i USING (icao24)
        WHERE i.live
     )
     SELECT icao24, flight_uuid FROM flights`,
    [
      flights.map((f) => f.icao24),
      flights.map((f) => f.silentSeconds),
      flights.map((f) => f.durationSeconds ?? 3600),
      flights.map((f) => f.ended ?? false),
      flights.map((f) => f.live ?? true),
    ]
  )
  return new Map(rows.map((row) => [row.icao24, row.flight_uuid]))
}

/**
 * Seeds `count` open flights with live rows, generated on the server (fast for 100,000 rows).
 * icao24 values are `firstIcao24`, `firstIcao24 + 1`, ... in hex; last contacts are spread over
 * `silentSeconds` to `silentSeconds + spreadSeconds` ago.
 */
export async function seedManyLiveFlights(
  pool: pg.Pool,
  {
    count,
    silentSeconds,
    spreadSeconds = 600,
    firstIcao24 = 0x100000,
  }: { count: number; silentSeconds: number; spreadSeconds?: number; firstIcao24?: number }
): Promise<void> {
  await pool.query(
    `WITH input AS (
       SELECT lpad(to_hex($3::int + n), 6, '0') AS icao24,
              now() - make_interval(secs => $2 + (n % 1000) * $4 / 1000.0) AS last_contact
         FROM generate_series(0, $1::int - 1) AS n
     ), flights AS (
       INSERT INTO flight_histories (flight_uuid, icao24, start_time, route_data)
       SELECT gen_random_uuid(), icao24, last_contact - interval '1 hour', '[]' FROM input
       RETURNING flight_uuid, icao24, start_time
     )
     INSERT INTO live_flights (icao24, flight_uuid, lat, lon, on_ground, last_contact,
                               last_waypoint_at)
     SELECT f.icao24, f.flight_uuid, 50.0, 10.0, false, i.last_contact, i.last_contact
       FROM flights f JOIN input i USING (icao24)`,
    [count, silentSeconds, firstIcao24, spreadSeconds]
  )
}

/** The hex icao24 for the n-th aircraft of {@link seedManyLiveFlights}. */
export function icao24At(n: number, firstIcao24 = 0x100000): string {
  return (firstIcao24 + n).toString(16).padStart(6, '0')
}

/** A positioned state as the processor writes it, `secondsFromNow` after now in data time. */
export function liveState(icao24: string, secondsFromNow: number): LiveState {
  const time = Math.floor(Date.now() / 1000) + secondsFromNow
  return {
    icao24,
    callsign: 'TST1',
    originCountry: 'Germany',
    lat: 50.1,
    lon: 8.6,
    altitude: 10_000,
    geoAltitude: 10_100,
    velocityKmh: 800,
    heading: 90,
    verticalRate: 0,
    onGround: false,
    squawk: '1000',
    spi: false,
    positionSource: 0,
    category: 1,
    timePosition: time,
    lastContact: time,
  }
}
