import {
  boolArray,
  float8Array,
  int2Array,
  int8Array,
  randomUuidArray,
  textArray,
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
  /** Unix seconds when the position was measured: the waypoint's time. */
  positionTime: number
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
 * The batch as rows: one array parameter per column, after the two rules ($1, $2). Unnested in
 * the select list, where the arrays advance in lockstep one row at a time; `FROM unnest(a, b, ...)`
 * first copies each array into a tuplestore of its own, which took about twice as long.
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
         unnest($19::int8[]) AS last_contact, unnest($20::int8[]) AS position_time,
         unnest($21::uuid[]) AS candidate_flight`

/**
 * The processor's write, as one statement. One bulk upsert of live_flights in icao24 order makes
 * every decision against the stored row it has locked, so concurrent writers of one aircraft
 * are serialised and each sees the other's result:
 * - a new aircraft gets its row and a new flight (`started`), with its first waypoint;
 * - a known one is updated only by a newer state (an older or equal one changes nothing, so a
 *   redelivery changes nothing), and its `last_waypoint_at` moves when the position is at least
 *   the waypoint interval newer, in the data's own time, which `appended` turns into a waypoint;
 * - one silent for longer than the flight timeout is left alone and reported in `not_written`,
 *   so its flight can be ended at its last contact first.
 * `$1` is the waypoint interval and `$2` the flight timeout, in seconds; `input` yields the
 * batch's rows (the benchmark feeds it from generate_series to measure the server's ceiling).
 */
export function applyStatesStatement(input = UNNEST_INPUT): string {
  return `
WITH input AS MATERIALIZED (
  SELECT s.*, to_timestamp(s.last_contact) AS contact_at, to_timestamp(s.position_time) AS position_at
  FROM (${input}) AS s
),
upserted AS (
  INSERT INTO live_flights AS l (
    icao24, flight_uuid, callsign, origin_country, lat, lon, altitude, geo_altitude, velocity_kmh,
    heading, vertical_rate, on_ground, squawk, spi, position_source, category, time_position,
    last_contact, last_waypoint_at, updated_at)
  SELECT icao24, candidate_flight, callsign, origin_country, lat, lon, altitude, geo_altitude,
         velocity_kmh, heading, vertical_rate, on_ground, squawk, spi, position_source, category,
         to_timestamp(time_position), contact_at, position_at, now()
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
  RETURNING icao24, flight_uuid, (xmax = 0) AS inserted, last_waypoint_at
),
started AS (
  INSERT INTO flight_histories (flight_uuid, icao24, callsign, origin_country, start_time, route_data)
  SELECT u.flight_uuid, i.icao24, i.callsign, i.origin_country, i.contact_at,
         jsonb_build_array(jsonb_build_array(i.lat, i.lon, i.position_time))
  FROM upserted u
  JOIN input i USING (icao24)
  WHERE u.inserted
  RETURNING 1
),
appended AS (
  UPDATE flight_histories f
  SET route_data = f.route_data || jsonb_build_array(jsonb_build_array(i.lat, i.lon, i.position_time)),
      callsign = COALESCE(f.callsign, i.callsign)
  FROM upserted u
  JOIN input i USING (icao24)
  WHERE NOT u.inserted
    AND u.last_waypoint_at = i.position_at
    AND f.flight_uuid = u.flight_uuid
    -- the position is newer than the route's last waypoint (not the same one heard again)
    AND (f.route_data -> -1 ->> 2)::bigint < i.position_time
  RETURNING 1
)
SELECT
  (SELECT count(*) FROM upserted)::int AS upserted,
  (SELECT count(*) FROM started)::int AS flights_started,
  (SELECT count(*) FROM appended)::int AS waypoints_appended,
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
  const column = <T>(pick: (state: LiveState) => T) => states.map(pick)
  return [
    rules.waypointIntervalSeconds,
    rules.flightTimeoutSeconds,
    textArray(column((s) => s.icao24)),
    textArray(column((s) => s.callsign)),
    textArray(column((s) => s.originCountry)),
    float8Array(column((s) => s.lat)),
    float8Array(column((s) => s.lon)),
    float8Array(column((s) => s.altitude)),
    float8Array(column((s) => s.geoAltitude)),
    float8Array(column((s) => s.velocityKmh)),
    float8Array(column((s) => s.heading)),
    float8Array(column((s) => s.verticalRate)),
    boolArray(column((s) => s.onGround)),
    textArray(column((s) => s.squawk)),
    boolArray(column((s) => s.spi)),
    int2Array(column((s) => s.positionSource)),
    int2Array(column((s) => s.category)),
    int8Array(column((s) => s.timePosition)),
    int8Array(column((s) => s.lastContact)),
    int8Array(column((s) => s.positionTime)),
    // The flight of each state in case its aircraft is new; only those are used.
    randomUuidArray(states.length),
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
        textArray(leftAlone.map((s) => s.icao24)),
        int8Array(leftAlone.map((s) => s.lastContact)),
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
