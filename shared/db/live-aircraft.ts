import type pg from 'pg'

import type { LiveState } from './apply-states.ts'

/** A latitude/longitude box; `west > east` means the box crosses the antimeridian. */
export interface BoundingBox {
  south: number
  west: number
  north: number
  east: number
}

/**
 * Columns of the compact live view, in the order the arrays appear. Numbers are rounded to what
 * a map needs: metres, km/h and degrees as integers; `onGround` is 0 or 1.
 */
export const LIVE_COLUMNS = [
  'icao24',
  'callsign',
  'originCountry',
  'lat',
  'lon',
  'altitude',
  'velocityKmh',
  'heading',
  'onGround',
  'squawk',
] as const

export type LiveColumn = (typeof LIVE_COLUMNS)[number]

export interface LiveAircraftColumns {
  count: number
  /** Newest `last_contact` of the rows, or null when there are none. */
  newestContact: Date | null
  /** Each column as the text of a JSON array, ready to be spliced into a response body. */
  columns: Record<LiveColumn, string>
}

// A rounded number as JSON text, or null. The range guard keeps one absurd value (NaN, infinity,
// 1e300) from breaking the whole response: the table has no CHECK on these columns.
const roundedNumber = (column: string, limit: number) =>
  `CASE WHEN ${column} BETWEEN ${-limit} AND ${limit} THEN round(${column})::int::text ELSE 'null' END`

// Each column is aggregated into one text by PostgreSQL, which is several times faster than
// sending 20,000 rows through node-postgres and serialising them again in JavaScript (measured
// in bench/dashboard.ts). All aggregates of one query see the rows in the same order, so the
// arrays line up. `string_agg` skips NULLs, hence the explicit 'null' texts.
const COLUMN_SQL: Record<LiveColumn, string> = {
  icao24: `json_agg(icao24)`,
  callsign: `json_agg(callsign)`,
  originCountry: `json_agg(origin_country)`,
  lat: `string_agg(lat::text, ',')`,
  lon: `string_agg(lon::text, ',')`,
  altitude: `string_agg(${roundedNumber('altitude', 1_000_000)}, ',')`,
  velocityKmh: `string_agg(${roundedNumber('velocity_kmh', 1_000_000)}, ',')`,
  heading: `string_agg(${roundedNumber('heading', 100_000)}, ',')`,
  onGround: `string_agg(on_ground::int::text, ',')`,
  squawk: `json_agg(squawk)`,
}

const JSON_AGG_COLUMNS = new Set<LiveColumn>(['icao24', 'callsign', 'originCountry', 'squawk'])

const SELECT_COLUMNS = LIVE_COLUMNS.map((name) => `${COLUMN_SQL[name]}::text AS "${name}"`).join(
  ',\n       '
)

/**
 * Current aircraft as column arrays (JSON texts), optionally only those inside `bbox`. One
 * statement, so every column comes from the same snapshot.
 */
export async function selectLiveAircraftColumns(
  client: pg.Pool | pg.PoolClient,
  bbox?: BoundingBox
): Promise<LiveAircraftColumns> {
  const values: number[] = []
  let where = ''
  if (bbox) {
    values.push(bbox.south, bbox.north, bbox.west, bbox.east)
    const lonTest = bbox.west <= bbox.east ? 'lon BETWEEN $3 AND $4' : '(lon >= $3 OR lon <= $4)'
    where = `WHERE lat BETWEEN $1 AND $2 AND ${lonTest}`
  }
  const { rows } = await client.query<
    Record<LiveColumn, string | null> & {
      count: number
      newest_contact: Date | null
    }
  >({
    text: `SELECT count(*)::int AS count, max(last_contact) AS newest_contact,
       ${SELECT_COLUMNS}
  FROM live_flights ${where}`,
    values,
  })
  const row = rows[0]
  const columns = {} as Record<LiveColumn, string>
  for (const name of LIVE_COLUMNS) {
    const text = row?.[name] ?? null
    if (text === null) {
      columns[name] = '[]'
    } else {
      columns[name] = JSON_AGG_COLUMNS.has(name) ? text : `[${text}]`
    }
  }
  return { count: row?.count ?? 0, newestContact: row?.newest_contact ?? null, columns }
}

/** One live aircraft with every column the processor stores, times as the driver reads them. */
export interface LiveAircraftRow extends Omit<LiveState, 'timePosition' | 'lastContact'> {
  flightUuid: string
  timePosition: Date | null
  lastContact: Date
  lastWaypointAt: Date
  updatedAt: Date
}

export const LIVE_ROW_SELECT = `icao24, flight_uuid AS "flightUuid", callsign,
       origin_country AS "originCountry", lat, lon, altitude, geo_altitude AS "geoAltitude",
       velocity_kmh AS "velocityKmh", heading, vertical_rate AS "verticalRate",
       on_ground AS "onGround", squawk, spi, position_source AS "positionSource", category,
       time_position AS "timePosition", last_contact AS "lastContact",
       last_waypoint_at AS "lastWaypointAt", updated_at AS "updatedAt"`

/** The live row of one aircraft, or null when it is not tracked right now. */
export async function findLiveAircraft(
  client: pg.Pool | pg.PoolClient,
  icao24: string
): Promise<LiveAircraftRow | null> {
  const { rows } = await client.query<LiveAircraftRow>({
    text: `SELECT ${LIVE_ROW_SELECT} FROM live_flights WHERE icao24 = $1`,
    values: [icao24],
  })
  return rows[0] ?? null
}
