import {
  boolArray,
  float8Array,
  int2Array,
  int8Array,
  textArray,
  uuidv7Array,
} from './pg-arrays.ts'
import type { PoolClient } from './pool.ts'

/** One aircraft's newest state, positioned and in the units of `live_flights`. */
export interface LiveState {
  icao24: string
  callsign: string | null
  originCountry: string | null
  lat: number
  lon: number
  altitude: number | null
  geoAltitude: number | null
  velocityKmh: number | null
  heading: number | null
  verticalRate: number | null
  onGround: boolean
  squawk: string | null
  spi: boolean
  positionSource: number | null
  category: number | null
  timePosition: number | null
  /** Unix seconds of the last message of any kind: orders states and ends flights. */
  lastContact: number
}

export interface FlightRules {
  /** At most one route waypoint per flight in this many seconds of data time. */
  waypointIntervalSeconds: number
  /** Silence after which a returning aircraft starts a new flight. */
  flightTimeoutSeconds: number
}

export interface ApplyStatesResult {
  /** States newer than what was stored, written to `live_flights`. */
  upserted: number
  /** States not newer than the stored state of their aircraft: nothing changed. */
  stale: number
  flightsStarted: number
  /** Earlier flights ended because their aircraft came back after the flight timeout. */
  flightsEnded: number
  waypointsAppended: number
}

/**
 * The batch as rows: one array parameter per column, after the two rules ($1, $2), times in Unix
 * seconds, and a new time-ordered flight id per state that only new aircraft use. Unnested in
 * the select list, where the arrays advance in lockstep one row at a time; `FROM unnest(a, b,
 * ...)` first copies each array into a tuplestore of its own, which took about twice as long.
 */
export const UNNEST_INPUT = `
  SELECT unnest($3::text[]) AS icao24, unnest($4::text[]) AS callsign,
         unnest($5::text[]) AS origin_country, unnest($6::float8[]) AS lat,
         unnest($7::float8[]) AS lon, unnest($8::float8[]) AS altitude,
         unnest($9::float8[]) AS geo_altitude, unnest($10::float8[]) AS velocity_kmh,
         unnest($11::float8[]) AS heading, unnest($12::float8[]) AS vertical_rate,
         unnest($13::bool[]) AS on_ground, unnest($14::text[]) AS squawk,
         unnest($15::bool[]) AS spi, unnest($16::int2[]) AS position_source,
         unnest($17::int2[]) AS category, unnest($18::int8[]) AS time_position,
         unnest($19::int8[]) AS last_contact, unnest($20::uuid[]) AS candidate_flight`

/**
 * When a state's position was measured, in SQL over two timestamptz expressions: OpenSky repeats
 * the last known position with the time it was measured, which can be much older than the last
 * contact (and, with skewed clocks, later: then last contact counts).
 */
const positionAt = (timePosition: string, lastContact: string) =>
  `LEAST(COALESCE(${timePosition}, ${lastContact}), ${lastContact})`

/**
 * The processor's write, as one statement. One bulk upsert of live_flights in icao24 order makes
 * every decision against the stored row it has locked, so concurrent writers of one aircraft
 * are serialised and each sees the other's result:
 * - a new aircraft gets its row and, in `routed`, a new flight with its first waypoint;
 * - a known one is updated only by a newer state (an older or equal one changes nothing, so a
 *   redelivery changes nothing), and its `last_waypoint_at` moves to the state's position time
 *   when that is at least the waypoint interval newer, in the data's own time; `routed` then
 *   appends the position to its flight's route;
 * - one silent for longer than the flight timeout is left alone and reported in `not_written`,
 *   so its flight can be ended at its last contact first.
 * `routed` writes both kinds of flight change with one INSERT ... ON CONFLICT on the flight's
 * key, from the rows the upsert returned: no join back to the input, no sort.
 * `$1` is the waypoint interval and `$2` the flight timeout, in seconds; `input` yields the
 * batch's rows with the columns of {@link UNNEST_INPUT} (the benchmark feeds it from
 * generate_series to measure the server's ceiling).
 */
export function applyStatesStatement(input = UNNEST_INPUT): string {
  return `
WITH input AS MATERIALIZED (
  SELECT s.*, t.contact_at, t.reported_at,
         ${positionAt('t.reported_at', 't.contact_at')} AS position_at
  FROM (${input}) AS s,
       LATERAL (SELECT to_timestamp(s.last_contact) AS contact_at,
                       to_timestamp(s.time_position) AS reported_at) AS t
),
upserted AS (
  INSERT INTO live_flights AS l (
    icao24, flight_uuid, callsign, origin_country, lat, lon, altitude, geo_altitude, velocity_kmh,
    heading, vertical_rate, on_ground, squawk, spi, position_source, category, time_position,
    last_contact, last_waypoint_at, updated_at)
  SELECT icao24, candidate_flight, callsign, origin_country, lat, lon, altitude, geo_altitude,
         velocity_kmh, heading, vertical_rate, on_ground, squawk, spi, position_source, category,
         reported_at, contact_at, position_at, now()
  FROM input
  ORDER BY icao24
  ON CONFLICT (icao24) DO UPDATE SET
    callsign = COALESCE(excluded.callsign, l.callsign),
    origin_country = excluded.origin_country,
    lat = excluded.lat,
    lon = excluded.lon,
    altitude = excluded.altitude,
    geo_altitude = excluded.geo_altitude,
    velocity_kmh = excluded.velocity_kmh,
    heading = excluded.heading,
    vertical_rate = excluded.vertical_rate,
    on_ground = excluded.on_ground,
    squawk = excluded.squawk,
    spi = excluded.spi,
    position_source = excluded.position_source,
    category = excluded.category,
    time_position = excluded.time_position,
    last_contact = excluded.last_contact,
    last_waypoint_at = CASE
      WHEN excluded.last_waypoint_at - l.last_waypoint_at >= make_interval(secs => $1)
      THEN excluded.last_waypoint_at
      ELSE l.last_waypoint_at
    END,
    updated_at = excluded.updated_at
  WHERE excluded.last_contact > l.last_contact
    AND excluded.last_contact - l.last_contact <= make_interval(secs => $2)
  RETURNING icao24, flight_uuid, (xmax = 0) AS inserted, callsign, origin_country, lat, lon,
            last_contact, extract(epoch FROM last_waypoint_at)::int8 AS waypoint_time,
            -- the waypoint moved to this state's position (or already was there)
            last_waypoint_at = ${positionAt('time_position', 'last_contact')} AS at_waypoint
),
routed AS (
  INSERT INTO flight_histories AS f (
    flight_uuid, icao24, callsign, origin_country, start_time, route_data)
  SELECT flight_uuid, icao24, callsign, origin_country, last_contact,
         jsonb_build_array(jsonb_build_array(lat, lon, waypoint_time))
  FROM upserted
  WHERE inserted OR at_waypoint
  ON CONFLICT (flight_uuid) DO UPDATE SET
    route_data = f.route_data || excluded.route_data,
    callsign = COALESCE(f.callsign, excluded.callsign)
  -- the position is newer than the route's last waypoint (not the same one heard again)
  WHERE (f.route_data -> -1 ->> 2)::bigint < (excluded.route_data -> 0 ->> 2)::bigint
  RETURNING (xmax = 0) AS started
)
SELECT
  (SELECT count(*) FROM upserted)::int AS upserted,
  (SELECT count(*) FILTER (WHERE started) FROM routed)::int AS flights_started,
  (SELECT count(*) FILTER (WHERE NOT started) FROM routed)::int AS waypoints_appended,
  -- Not written: older or equal to the stored state, silent for longer than the timeout, or
  -- written meanwhile by a concurrent writer. The caller checks them against the locked rows.
  ARRAY(
    SELECT i.icao24 FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM upserted u WHERE u.icao24 = i.icao24)
  ) AS not_written
`
}

const APPLY_STATES_SQL = applyStatesStatement()

/**
 * Ends the flights of aircraft that came back after more than the timeout ($3) of silence: the
 * flight ends at its last contact and the live row goes, so applying the state again starts a
 * new flight. The rows are already locked by the upsert that left them alone.
 */
const END_RETURNED_FLIGHTS_SQL = `
WITH ended AS (
  DELETE FROM live_flights l
  USING unnest($1::text[], $2::int8[]) AS r(icao24, last_contact)
  WHERE l.icao24 = r.icao24
    AND to_timestamp(r.last_contact) - l.last_contact > make_interval(secs => $3)
  RETURNING l.icao24, l.flight_uuid, l.last_contact
),
closed AS (
  UPDATE flight_histories f
  SET end_time = e.last_contact
  FROM ended e
  WHERE f.flight_uuid = e.flight_uuid AND f.end_time IS NULL
)
SELECT icao24 FROM ended`

interface ApplyStatesRow {
  upserted: number
  flights_started: number
  waypoints_appended: number
  not_written: string[]
}

/** The statement's parameters: the two rules, then one binary array per column. */
function applyStatesParameters(states: readonly LiveState[], rules: FlightRules) {
  return [
    rules.waypointIntervalSeconds,
    rules.flightTimeoutSeconds,
    textArray(states, (s) => s.icao24),
    textArray(states, (s) => s.callsign),
    textArray(states, (s) => s.originCountry),
    float8Array(states, (s) => s.lat),
    float8Array(states, (s) => s.lon),
    float8Array(states, (s) => s.altitude),
    float8Array(states, (s) => s.geoAltitude),
    float8Array(states, (s) => s.velocityKmh),
    float8Array(states, (s) => s.heading),
    float8Array(states, (s) => s.verticalRate),
    boolArray(states, (s) => s.onGround),
    textArray(states, (s) => s.squawk),
    boolArray(states, (s) => s.spi),
    int2Array(states, (s) => s.positionSource),
    int2Array(states, (s) => s.category),
    int8Array(states, (s) => s.timePosition),
    int8Array(states, (s) => s.lastContact),
    // The flight of each state in case its aircraft is new; only those are used.
    uuidv7Array(states.length),
  ]
}

async function upsertStates(client: PoolClient, states: readonly LiveState[], rules: FlightRules) {
  const { rows } = await client.query<ApplyStatesRow>({
    text: APPLY_STATES_SQL,
    values: applyStatesParameters(states, rules),
  })
  if (!rows[0]) {
    throw new Error('apply-states returned no summary row')
  }
  return rows[0]
}

/**
 * Writes a batch of states (at most one per aircraft) inside the caller's
 * transaction: live_flights, flight starts and ends, and sampled waypoints.
 */
export async function applyStates(
  client: PoolClient,
  states: readonly LiveState[],
  rules: FlightRules
): Promise<ApplyStatesResult> {
  if (states.length === 0) {
    return { upserted: 0, stale: 0, flightsStarted: 0, flightsEnded: 0, waypointsAppended: 0 }
  }
  const first = await upsertStates(client, states, rules)
  let { upserted, flights_started: flightsStarted } = first
  let flightsEnded = 0
  // Usually empty; all of the batch after a redelivery under a new event id.
  if (first.not_written.length > 0) {
    const notWritten = new Set(first.not_written)
    const leftAlone = states.filter((state) => notWritten.has(state.icao24))
    const ended = await client.query<{ icao24: string }>({
      text: END_RETURNED_FLIGHTS_SQL,
      values: [
        textArray(leftAlone, (s) => s.icao24),
        int8Array(leftAlone, (s) => s.lastContact),
        rules.flightTimeoutSeconds,
      ],
    })
    flightsEnded = ended.rowCount ?? 0
    if (flightsEnded > 0) {
      const endedIds = new Set(ended.rows.map((row) => row.icao24))
      const again = await upsertStates(
        client,
        leftAlone.filter((state) => endedIds.has(state.icao24)),
        rules
      )
      upserted += again.upserted
      flightsStarted += again.flights_started
    }
  }
  return {
    upserted,
    stale: states.length - upserted,
    flightsStarted,
    flightsEnded,
    waypointsAppended: first.waypoints_appended,
  }
}
