import type pg from 'pg'

import { LIVE_ROW_SELECT, type LiveAircraftRow } from './live-aircraft.ts'

/**
 * Position of a flight in the search order (start_time DESC, flight_uuid ASC, the order of
 * flight_histories_start_time_idx). `startTime` is PostgreSQL's own text of the timestamp, so
 * microseconds survive the round trip through a cursor (a JavaScript Date would cut them).
 */
export interface FlightKey {
  startTime: string
  flightUuid: string
}

export interface FlightSearch {
  /** Callsign prefix, matched case-sensitively as stored (the processor stores upper case). */
  callsign?: string
  icao24?: string
  /** Flights that started at or after this time (text PostgreSQL reads as timestamptz). */
  from?: string
  /** Flights that started before this time (text PostgreSQL reads as timestamptz). */
  to?: string
  limit: number
  /** Continue after this flight. */
  after?: FlightKey
}

/** The columns of a flight both the search and the detail read. */
export interface FlightRow {
  flightUuid: string
  icao24: string
  callsign: string | null
  originCountry: string | null
  startTime: Date
  endTime: Date | null
}

export interface FlightSummary extends FlightRow {
  waypointCount: number
  /** The search order key of this row, for the next page's cursor. */
  key: FlightKey
}

/** `%` and `_` in user input are literal characters, not LIKE wildcards. */
function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`)
}

/**
 * Flights matching all given filters, newest start first, at most `limit` of them, continuing
 * after `after` (keyset paging: stable while new flights arrive, no OFFSET scans).
 */
export async function searchFlights(
  client: pg.Pool | pg.PoolClient,
  search: FlightSearch
): Promise<FlightSummary[]> {
  const conditions: string[] = []
  const values: unknown[] = []
  const param = (value: unknown) => {
    values.push(value)
    return `$${values.length}`
  }
  if (search.callsign !== undefined) {
    conditions.push(`callsign LIKE ${param(escapeLikePattern(search.callsign) + '%')}`)
  }
  if (search.icao24 !== undefined) {
    conditions.push(`icao24 = ${param(search.icao24)}`)
  }
  if (search.from !== undefined) {
    conditions.push(`start_time >= ${param(search.from)}::timestamptz`)
  }
  if (search.to !== undefined) {
    conditions.push(`start_time < ${param(search.to)}::timestamptz`)
  }
  if (search.after !== undefined) {
    const start = param(search.after.startTime)
    const uuid = param(search.after.flightUuid)
    // Mixed sort directions rule out a row comparison; the first condition lets the index bound
    // the scan, the second skips the rows of the cursor's own start time already returned.
    conditions.push(
      `start_time <= ${start}::timestamptz AND (start_time < ${start}::timestamptz OR flight_uuid > ${uuid}::uuid)`
    )
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
  const { rows } = await client.query<
    Omit<FlightSummary, 'key'> & { startTimeKey: string; flightUuid: string }
  >({
    text: `SELECT flight_uuid AS "flightUuid", icao24, callsign, origin_country AS "originCountry",
       start_time AS "startTime", end_time AS "endTime",
       jsonb_array_length(route_data) AS "waypointCount", start_time::text AS "startTimeKey"
  FROM flight_histories
  ${where}
 ORDER BY start_time DESC, flight_uuid
 LIMIT ${param(search.limit)}`,
    values,
  })
  return rows.map(({ startTimeKey, ...flight }) => ({
    ...flight,
    key: { startTime: startTimeKey, flightUuid: flight.flightUuid },
  }))
}

/** A route waypoint as the processor stores it: [lat, lon, unix_seconds]. */
export type RouteWaypoint = [number, number, number]

export interface FlightDetail extends FlightRow {
  route: unknown
  /** The aircraft's live row while this flight is its current one, else null. */
  live: LiveAircraftRow | null
}

/** One flight with its route and, while it is open, the aircraft's live row. */
export async function findFlight(
  client: pg.Pool | pg.PoolClient,
  flightUuid: string
): Promise<FlightDetail | null> {
  const { rows } = await client.query<Omit<FlightDetail, 'live'>>({
    text: `SELECT flight_uuid AS "flightUuid", icao24, callsign, origin_country AS "originCountry",
       start_time AS "startTime", end_time AS "endTime", route_data AS route
  FROM flight_histories WHERE flight_uuid = $1`,
    values: [flightUuid],
  })
  const flight = rows[0]
  if (!flight) {
    return null
  }
  const live = await client.query<LiveAircraftRow>({
    text: `SELECT ${LIVE_ROW_SELECT} FROM live_flights WHERE flight_uuid = $1`,
    values: [flightUuid],
  })
  return { ...flight, live: live.rows[0] ?? null }
}
