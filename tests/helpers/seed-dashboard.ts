// Deterministic test data for the dashboard: live aircraft with their open flights, finished
// flights, pipeline status, sweeper runs and alerts, written the way the processor and the sweeper
// write them (one bulk statement per table).
import type pg from 'pg'

import type { RouteWaypoint as Waypoint } from '../../shared/db/flight-search.ts'

export interface SeedAircraft {
  icao24: string
  flightUuid: string
  callsign: string | null
  originCountry: string
  lat: number
  lon: number
  altitude: number | null
  geoAltitude: number | null
  velocityKmh: number | null
  heading: number | null
  verticalRate: number | null
  onGround: boolean
  squawk: string | null
  category: number | null
  lastContact: Date
  startTime: Date
  route: Waypoint[]
}

export interface SeedFlight {
  flightUuid: string
  icao24: string
  callsign: string | null
  originCountry: string
  startTime: Date
  endTime: Date | null
  route: Waypoint[]
}

const AIRLINES = [
  'DLH',
  'AFR',
  'BAW',
  'UAL',
  'AAL',
  'DAL',
  'RYR',
  'EZY',
  'KLM',
  'SWR',
  'THY',
  'QTR',
]
const COUNTRIES = ['Germany', 'France', 'United Kingdom', 'United States', 'Ireland', 'Turkey']
// Traffic clusters around busy regions, so the map looks like real traffic and zoomed-in views
// still have many aircraft: [lat, lon, spread in degrees].
const HUBS: [number, number, number][] = [
  [50, 8, 8],
  [40, -90, 14],
  [35, 135, 8],
  [25, 55, 6],
  [-25, 135, 10],
  [0, 0, 80],
]

/** mulberry32: small, fast and deterministic, so a seed always gives the same aircraft. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A version-4-shaped UUID from the generator, so seeded data is reproducible. */
export function seededUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16))
  hex[12] = '4'
  hex[16] = (8 + Math.floor(random() * 4)).toString(16)
  const s = hex.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

export interface MakeAircraftOptions {
  /** The data's "now": last contacts fall in the minute before it. */
  now: Date
  seed?: number
  /** icao24 of the first aircraft as a number; the others follow. */
  firstIcao24?: number
}

/**
 * `count` plausible aircraft with open flights whose route ends near the live position, about
 * 5 % on the ground and a few squawking emergencies.
 */
export function makeAircraft(count: number, options: MakeAircraftOptions): SeedAircraft[] {
  const random = seededRandom(options.seed ?? 1)
  const nowSeconds = Math.floor(options.now.getTime() / 1000)
  const aircraft: SeedAircraft[] = []
  for (let i = 0; i < count; i++) {
    const [hubLat, hubLon, spread] = pick(random, HUBS)
    const lat = round(clamp(hubLat + (random() - 0.5) * spread * 2, -85, 85), 4)
    const lon = round(clamp(hubLon + (random() - 0.5) * spread * 3, -180, 180), 4)
    const onGround = random() < 0.05
    const altitude = onGround ? null : round(300 + random() * 12_000, 2)
    const heading = round(random() * 360, 2)
    const lastContactSeconds = nowSeconds - Math.floor(random() * 60)
    const startSeconds = lastContactSeconds - 600 - Math.floor(random() * 3 * 3600)
    const route: Waypoint[] = []
    // One waypoint every 5 minutes, walking backwards from near the live position.
    for (let t = startSeconds; t < lastContactSeconds; t += 300) {
      route.push([round(lat - (lastContactSeconds - t) * 0.0004, 4), lon, t])
    }
    route.forEach((point) => (point[0] = clamp(point[0], -89, 89)))
    const emergency = i % 997 === 13 ? pick(random, ['7500', '7600', '7700']) : null
    aircraft.push({
      icao24: ((options.firstIcao24 ?? 0x400000) + i).toString(16).padStart(6, '0'),
      flightUuid: seededUuid(random),
      callsign: random() < 0.02 ? null : `${pick(random, AIRLINES)}${Math.floor(random() * 9000)}`,
      originCountry: pick(random, COUNTRIES),
      lat,
      lon,
      altitude,
      geoAltitude: altitude === null ? null : round(altitude + 150, 2),
      velocityKmh: onGround ? round(random() * 40, 1) : round(400 + random() * 500, 1),
      heading,
      verticalRate: onGround ? null : round((random() - 0.5) * 20, 2),
      onGround,
      squawk: emergency ?? (random() < 0.4 ? null : String(1000 + Math.floor(random() * 6000))),
      category: random() < 0.5 ? null : Math.floor(random() * 7),
      lastContact: new Date(lastContactSeconds * 1000),
      startTime: new Date(startSeconds * 1000),
      route,
    })
  }
  return aircraft
}

/** Inserts the aircraft's open flights and their live rows, as the processor leaves them. */
export async function seedLiveAircraft(pool: pg.Pool, aircraft: SeedAircraft[]): Promise<void> {
  const chunkSize = 5_000
  for (let offset = 0; offset < aircraft.length; offset += chunkSize) {
    const chunk = aircraft.slice(offset, offset + chunkSize)
    await seedFlights(
      pool,
      chunk.map((a) => ({
        flightUuid: a.flightUuid,
        icao24: a.icao24,
        callsign: a.callsign,
        originCountry: a.originCountry,
        startTime: a.startTime,
        endTime: null,
        route: a.route,
      }))
    )
    await pool.query(
      `INSERT INTO live_flights (icao24, flight_uuid, callsign, origin_country, lat, lon, altitude,
         geo_altitude, velocity_kmh, heading, vertical_rate, on_ground, squawk, spi,
         position_source, category, time_position, last_contact, last_waypoint_at)
       SELECT icao24, "flightUuid", callsign, "originCountry", lat, lon, altitude, "geoAltitude",
              "velocityKmh", heading, "verticalRate", "onGround", squawk, false, 0, category,
              "lastContact", "lastContact", "lastContact"
         FROM jsonb_to_recordset($1::jsonb) AS r(icao24 text, "flightUuid" uuid, callsign text,
              "originCountry" text, lat float8, lon float8, altitude float8, "geoAltitude" float8,
              "velocityKmh" float8, heading float8, "verticalRate" float8, "onGround" boolean,
              squawk text, category smallint, "lastContact" timestamptz)`,
      [JSON.stringify(chunk)]
    )
  }
}

/** Inserts flight_histories rows (open when `endTime` is null). */
export async function seedFlights(pool: pg.Pool, flights: SeedFlight[]): Promise<void> {
  await pool.query(
    `INSERT INTO flight_histories (flight_uuid, icao24, callsign, origin_country, start_time,
       end_time, route_data)
     SELECT "flightUuid", icao24, callsign, "originCountry", "startTime", "endTime", route
       FROM jsonb_to_recordset($1::jsonb) AS r("flightUuid" uuid, icao24 text, callsign text,
            "originCountry" text, "startTime" timestamptz, "endTime" timestamptz, route jsonb)`,
    [JSON.stringify(flights)]
  )
}

export interface MakeFlightsOptions {
  /** The first flight starts here; each next one `spacingSeconds` earlier. */
  newestStart: Date
  spacingSeconds?: number
  seed?: number
  icao24s?: string[]
  callsigns?: string[]
}

/** `count` finished flights, newest first, with short routes. */
export function makeEndedFlights(count: number, options: MakeFlightsOptions): SeedFlight[] {
  const random = seededRandom(options.seed ?? 2)
  const spacing = options.spacingSeconds ?? 600
  const newest = Math.floor(options.newestStart.getTime() / 1000)
  return Array.from({ length: count }, (_, i) => {
    const start = newest - i * spacing
    const duration = 1200 + Math.floor(random() * 7200)
    const lat = round(40 + random() * 15, 4)
    const lon = round(-5 + random() * 25, 4)
    const route: Waypoint[] = []
    for (let t = start; t <= start + duration; t += 300) {
      route.push([round(lat + (t - start) * 0.0003, 4), round(lon + (t - start) * 0.0005, 4), t])
    }
    return {
      flightUuid: seededUuid(random),
      icao24: options.icao24s?.[i % options.icao24s.length] ?? (0x300000 + i).toString(16),
      callsign:
        options.callsigns?.[i % options.callsigns.length] ?? `${pick(random, AIRLINES)}${i}`,
      originCountry: pick(random, COUNTRIES),
      startTime: new Date(start * 1000),
      endTime: new Date((start + duration) * 1000),
      route,
    }
  })
}

export interface SeedStreamStatus {
  stream: string
  lastDataTime: Date
  lastWriteAt: Date
  deliveries?: number
}

/** Rows of pipeline_status, as the processor records each delivery. */
export async function seedPipelineStatus(
  pool: pg.Pool,
  streams: SeedStreamStatus[]
): Promise<void> {
  for (const s of streams) {
    await pool.query(
      `INSERT INTO pipeline_status (stream, last_event_id, last_data_time, last_write_at, deliveries,
         states_received, states_accepted)
       VALUES ($1, $2, $3, $4, $5::bigint, $5::bigint * 100, $5::bigint * 99)`,
      [s.stream, `event-${s.stream}`, s.lastDataTime, s.lastWriteAt, s.deliveries ?? 1]
    )
  }
}

export interface SeedSweeperRun {
  startedAt: Date
  finishedAt: Date
  flightsEnded: number
  report: unknown
}

export async function seedSweeperRun(pool: pg.Pool, run: SeedSweeperRun): Promise<void> {
  await pool.query(
    `INSERT INTO sweeper_runs (started_at, finished_at, flights_ended, report)
     VALUES ($1, $2, $3, $4)`,
    [run.startedAt, run.finishedAt, run.flightsEnded, JSON.stringify(run.report)]
  )
}

export interface SeedAlert {
  name: string
  active: boolean
  value: number | null
  threshold: number | null
  details?: unknown
  raisedAt: Date | null
  clearedAt?: Date | null
}

export async function seedAlert(pool: pg.Pool, alert: SeedAlert): Promise<void> {
  await pool.query(
    `INSERT INTO pipeline_alerts (name, active, value, threshold, details, raised_at, cleared_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      alert.name,
      alert.active,
      alert.value,
      alert.threshold,
      JSON.stringify(alert.details ?? {}),
      alert.raisedAt,
      alert.clearedAt ?? null,
    ]
  )
}
