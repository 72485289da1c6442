import { booleanArray, numberArray, textArray } from './pg-arrays.ts'
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
 * Thrown when another transaction inserted one of this batch's new aircraft between the lookup
 * and the upsert. SQLSTATE 40001 makes `withTransaction` run the whole delivery again, which then
 * sees the other writer's row.
 */
export class ConcurrentFlightStartError extends Error {
  override name = 'ConcurrentFlightStartError'
  readonly code = '40001'
}

/**
 * The processor's write, as one statement: lock the batch's known aircraft in icao24 order,
 * decide per aircraft (new flight, flight restarted after the timeout, waypoint due, or a plain
 * update), write flight_histories, then upsert live_flights for the whole batch in icao24 order.
 * Everything is decided in the data's own time, so a replay gives the same result, and an older
 * or equal state changes nothing, so a redelivery changes nothing.
 */
const APPLY_STATES_SQL = `
WITH input AS MATERIALIZED (
  SELECT * FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::float8[],
    $8::float8[], $9::float8[], $10::float8[], $11::bool[], $12::text[], $13::bool[],
    $14::int2[], $15::int2[], $16::int8[], $17::int8[], $18::int8[]
  ) AS t(icao24, callsign, origin_country, lat, lon, altitude, geo_altitude, velocity_kmh,
         heading, vertical_rate, on_ground, squawk, spi, position_source, category,
         time_position, last_contact, position_time)
),
previous AS (
  SELECT icao24, flight_uuid, last_contact, last_waypoint_at
  FROM live_flights
  WHERE icao24 = ANY ($1::text[])
  ORDER BY icao24
  FOR UPDATE
),
decided AS MATERIALIZED (
  SELECT i.*,
         to_timestamp(i.last_contact) AS contact_at,
         to_timestamp(i.position_time) AS position_at,
         p.flight_uuid AS previous_flight,
         p.last_contact AS previous_contact,
         p.last_waypoint_at AS previous_waypoint_at,
         CASE
           WHEN p.icao24 IS NULL THEN 'start'
           WHEN to_timestamp(i.last_contact) - p.last_contact > make_interval(secs => $20) THEN 'restart'
           WHEN to_timestamp(i.position_time) - p.last_waypoint_at >= make_interval(secs => $19) THEN 'append'
           ELSE 'update'
         END AS action
  FROM input i
  LEFT JOIN previous p USING (icao24)
  WHERE p.icao24 IS NULL OR to_timestamp(i.last_contact) > p.last_contact
),
planned AS MATERIALIZED (
  SELECT d.*,
         CASE WHEN d.action IN ('start', 'restart') THEN gen_random_uuid() END AS new_flight
  FROM decided d
),
ended AS (
  UPDATE flight_histories f
  SET end_time = p.previous_contact
  FROM planned p
  WHERE p.action = 'restart' AND f.flight_uuid = p.previous_flight AND f.end_time IS NULL
  RETURNING 1
),
started AS (
  INSERT INTO flight_histories (flight_uuid, icao24, callsign, origin_country, start_time, route_data)
  SELECT new_flight, icao24, callsign, origin_country, contact_at,
         jsonb_build_array(jsonb_build_array(lat, lon, position_time))
  FROM planned
  WHERE new_flight IS NOT NULL
  RETURNING 1
),
appended AS (
  UPDATE flight_histories f
  SET route_data = f.route_data || jsonb_build_array(jsonb_build_array(p.lat, p.lon, p.position_time)),
      callsign = COALESCE(f.callsign, p.callsign)
  FROM planned p
  WHERE p.action = 'append' AND f.flight_uuid = p.previous_flight
  RETURNING 1
),
upserted AS (
  INSERT INTO live_flights AS l (
    icao24, flight_uuid, callsign, origin_country, lat, lon, altitude, geo_altitude, velocity_kmh,
    heading, vertical_rate, on_ground, squawk, spi, position_source, category, time_position,
    last_contact, last_waypoint_at, updated_at)
  SELECT icao24, COALESCE(new_flight, previous_flight), callsign, origin_country, lat, lon,
         altitude, geo_altitude, velocity_kmh, heading, vertical_rate, on_ground, squawk, spi,
         position_source, category, to_timestamp(time_position), contact_at,
         CASE WHEN action = 'update' THEN previous_waypoint_at ELSE position_at END, now()
  FROM planned
  ORDER BY icao24
  ON CONFLICT (icao24) DO UPDATE SET
    flight_uuid = excluded.flight_uuid,
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
    last_waypoint_at = excluded.last_waypoint_at,
    updated_at = excluded.updated_at
  WHERE excluded.last_contact > l.last_contact
  RETURNING (xmax = 0) AS inserted
)
SELECT
  (SELECT count(*) FROM planned)::int AS planned,
  (SELECT count(*) FROM planned WHERE action = 'start')::int AS planned_inserts,
  (SELECT count(*) FROM upserted)::int AS upserted,
  (SELECT count(*) FROM upserted WHERE inserted)::int AS inserted,
  (SELECT count(*) FROM started)::int AS flights_started,
  (SELECT count(*) FROM ended)::int AS flights_ended,
  (SELECT count(*) FROM appended)::int AS waypoints_appended
`

interface ApplyStatesRow {
  planned: number
  planned_inserts: number
  upserted: number
  inserted: number
  flights_started: number
  flights_ended: number
  waypoints_appended: number
}

/** The statement's parameters: one array literal per column, then the two rules. */
export function applyStatesParameters(states: readonly LiveState[], rules: FlightRules): string[] {
  const column = <T>(pick: (state: LiveState) => T) => states.map(pick)
  return [
    textArray(column((s) => s.icao24)),
    textArray(column((s) => s.callsign)),
    textArray(column((s) => s.originCountry)),
    numberArray(column((s) => s.lat)),
    numberArray(column((s) => s.lon)),
    numberArray(column((s) => s.altitude)),
    numberArray(column((s) => s.geoAltitude)),
    numberArray(column((s) => s.velocityKmh)),
    numberArray(column((s) => s.heading)),
    numberArray(column((s) => s.verticalRate)),
    booleanArray(column((s) => s.onGround)),
    textArray(column((s) => s.squawk)),
    booleanArray(column((s) => s.spi)),
    numberArray(column((s) => s.positionSource)),
    numberArray(column((s) => s.category)),
    numberArray(column((s) => s.timePosition)),
    numberArray(column((s) => s.lastContact)),
    numberArray(column((s) => s.positionTime)),
    String(rules.waypointIntervalSeconds),
    String(rules.flightTimeoutSeconds),
  ]
}

/**
 * Writes a batch of states (at most one per aircraft) inside the caller's transaction.
 * Run it inside `withTransaction`, which retries on {@link ConcurrentFlightStartError}.
 */
export async function applyStates(
  client: PoolClient,
  states: readonly LiveState[],
  rules: FlightRules
): Promise<ApplyStatesResult> {
  if (states.length === 0) {
    return { upserted: 0, stale: 0, flightsStarted: 0, flightsEnded: 0, waypointsAppended: 0 }
  }
  const { rows } = await client.query<ApplyStatesRow>({
    text: APPLY_STATES_SQL,
    values: applyStatesParameters(states, rules),
  })
  const row = rows[0]
  if (!row) {
    throw new Error('apply-states returned no summary row')
  }
  // Known aircraft are locked before the decision, so only a new aircraft can have been written
  // by someone else meanwhile; its flight would then be decided on stale facts.
  if (row.upserted !== row.planned || row.inserted !== row.planned_inserts) {
    throw new ConcurrentFlightStartError(
      `another writer started ${row.planned_inserts - row.inserted} of this batch's flights concurrently`
    )
  }
  return {
    upserted: row.upserted,
    stale: states.length - row.planned,
    flightsStarted: row.flights_started,
    flightsEnded: row.flights_ended,
    waypointsAppended: row.waypoints_appended,
  }
}
