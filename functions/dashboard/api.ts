import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'

import { Hono } from 'hono'
import { z } from 'zod'

import { findFlight, type FlightRow, searchFlights } from '../../shared/db/flight-search.ts'
import { readPipelineFreshness } from '../../shared/db/freshness.ts'
import {
  type BoundingBox,
  findLiveAircraft,
  LIVE_COLUMNS,
  type LiveAircraftRow,
  selectLiveAircraftColumns,
} from '../../shared/db/live-aircraft.ts'
import { selectPipelineOverview } from '../../shared/db/pipeline-overview.ts'
import type { Pool } from '../../shared/db/pool.ts'
import { HttpError } from '../../shared/http/errors.ts'
import type {
  AircraftDetail,
  AircraftResponse,
  FlightListItem,
  FlightResponse,
  FlightsResponse,
  KafkaLag,
  StatusResponse,
  TrackPoint,
} from './api-types.ts'
import type { DashboardConfig } from './config.ts'
import { acceptsGzip, etagMatches } from './encoding.ts'
import {
  encodeCursor,
  flightsQuerySchema,
  icao24Schema,
  liveQuerySchema,
  parseParam,
  parseQuery,
  uuidSchema,
} from './query.ts'
import { createSharedLoader } from './shared-loader.ts'

export interface ApiDeps {
  config: Pick<DashboardConfig, 'liveCacheMs' | 'staleSeconds'>
  pool: Pool
  clock: () => Date
  /** Called with the number of aircraft of each freshly built /api/live answer of the whole sky. */
  onLiveBuilt?: (count: number) => void
}

class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message)
  }
}

interface LiveBody {
  body: string
  etag: string
  /** The body gzipped once, on first demand, and shared like the body. */
  gzipped: () => Promise<Buffer>
}

const gzipAsync = promisify(gzip)
// Level 4 of 9: 27 ms and 437 KB for 20,000 aircraft, against 72 ms and 407 KB at the default 6
// (measured here). Compressing on the thread pool keeps the event loop free meanwhile.
const LIVE_GZIP_LEVEL = 4

/**
 * `W/"..."` over the data part of an answer: weak, because answers with the same tag may differ
 * in `time` (and the compress middleware may re-encode them), while their data is the same.
 */
function weakEtag(data: string): string {
  return `W/"${createHash('sha1').update(data).digest('base64url')}"`
}

function toFlightListItem(flight: FlightRow, waypointCount: number): FlightListItem {
  return {
    flightUuid: flight.flightUuid,
    icao24: flight.icao24,
    callsign: flight.callsign,
    originCountry: flight.originCountry,
    startTime: flight.startTime.toISOString(),
    endTime: flight.endTime?.toISOString() ?? null,
    waypointCount,
  }
}

function toAircraftDetail(row: LiveAircraftRow): AircraftDetail {
  return {
    icao24: row.icao24,
    flightUuid: row.flightUuid,
    callsign: row.callsign,
    originCountry: row.originCountry,
    lat: row.lat,
    lon: row.lon,
    altitude: row.altitude,
    geoAltitude: row.geoAltitude,
    velocityKmh: row.velocityKmh,
    heading: row.heading,
    verticalRate: row.verticalRate,
    onGround: row.onGround,
    squawk: row.squawk,
    spi: row.spi,
    positionSource: row.positionSource,
    category: row.category,
    timePosition: row.timePosition?.toISOString() ?? null,
    lastContact: row.lastContact.toISOString(),
  }
}

const trackPointSchema = z.tuple([
  z.number().min(-90).max(90),
  z.number().min(-180).max(180),
  z.number(),
])

/** route_data is JSON written by another function: keep only well-formed waypoints. */
function toTrack(route: unknown): TrackPoint[] {
  if (!Array.isArray(route)) {
    return []
  }
  return route.flatMap((point: unknown) => {
    const parsed = trackPointSchema.safeParse(point)
    return parsed.success ? [parsed.data] : []
  })
}

// The sweeper's report (functions/sweeper/tick.ts TickReport) is another function's JSON: read
// only the lag figures, check their shape, and ignore the rest.
const lagPartitionsSchema = z
  .array(z.unknown())
  .default([])
  .transform((items) =>
    items.flatMap((item) => {
      const parsed = z.object({ partition: z.number(), lag: z.number() }).safeParse(item)
      return parsed.success ? [{ partition: parsed.data.partition, lag: parsed.data.lag }] : []
    })
  )
const LAG_UNAVAILABLE = 'the sweeper could not read the consumer lag; its log says why'
const lagIdentity = {
  groupId: z.string().nullable().default(null).catch(null),
  topic: z.string().nullable().default(null).catch(null),
}
const lagReportSchema = z.object({
  lag: z.union([
    z.object({ enabled: z.literal(false) }),
    z.object({
      enabled: z.literal(true),
      available: z.literal(false),
      // The sweeper's message may name the brokers' hosts, which stay out of this public API.
      error: z.unknown().transform(() => LAG_UNAVAILABLE),
      ...lagIdentity,
    }),
    z.object({
      enabled: z.literal(true).default(true),
      available: z.literal(true).default(true),
      total: z.number(),
      threshold: z.number().nullable().default(null).catch(null),
      partitions: lagPartitionsSchema,
      ...lagIdentity,
    }),
  ]),
})

function lagFromReport(report: unknown): KafkaLag | null {
  const parsed = lagReportSchema.safeParse(report)
  return parsed.success ? parsed.data.lag : null
}

function secondsBetween(earlier: Date, later: Date): number {
  return Math.max(0, Math.round((later.getTime() - earlier.getTime()) / 1000))
}

/** The JSON API under /api: live aircraft, flight search, one flight, pipeline status. */
export function apiRoutes(deps: ApiDeps): Hono {
  const { pool, clock, config } = deps
  const api = new Hono()

  const sharedLive = createSharedLoader<LiveBody>(config.liveCacheMs)
  const loadLive = async (bbox: BoundingBox | undefined): Promise<LiveBody> => {
    const live = await selectLiveAircraftColumns(pool, bbox)
    const columns = LIVE_COLUMNS.map((name) => `"${name}":${live.columns[name]}`).join(',')
    // Spliced by hand: the columns already are JSON texts, re-parsing them would cost more than
    // the query itself.
    const data = `"newestContact":${JSON.stringify(
      live.newestContact?.toISOString() ?? null
    )},"count":${live.count},"columns":{${columns}}`
    // The ETag covers the data only: `time` changes with every rebuild and would turn an
    // unchanged fleet into a 200 each time the shared cache expires.
    const body = `{"time":${JSON.stringify(clock().toISOString())},${data}}`
    // Only the whole sky: a viewer's box must not set what the gauge reports for everyone.
    if (!bbox) {
      deps.onLiveBuilt?.(live.count)
    }
    let gzipped: Promise<Buffer> | undefined
    return {
      body,
      etag: weakEtag(data),
      gzipped: () => (gzipped ??= gzipAsync(body, { level: LIVE_GZIP_LEVEL })),
    }
  }

  api.get('/live', async (c) => {
    const query = parseQuery(liveQuerySchema, c.req.queries())
    const key = query.bbox
      ? [query.bbox.west, query.bbox.south, query.bbox.east, query.bbox.north].join(',')
      : ''
    const live = await sharedLive(key, () => loadLive(query.bbox))
    c.header('ETag', live.etag)
    c.header('Cache-Control', 'no-cache')
    c.header('Vary', 'Accept-Encoding')
    if (etagMatches(c.req.header('If-None-Match'), live.etag)) {
      return c.body(null, 304)
    }
    c.header('Content-Type', 'application/json; charset=utf-8')
    if (acceptsGzip(c.req.header('Accept-Encoding'))) {
      // Set here, the compress middleware leaves the answer alone.
      c.header('Content-Encoding', 'gzip')
      return c.body(new Uint8Array(await live.gzipped()))
    }
    return c.body(live.body)
  })

  api.get('/aircraft/:icao24', async (c) => {
    const icao24 = parseParam(icao24Schema, 'icao24', c.req.param('icao24'))
    const row = await findLiveAircraft(pool, icao24)
    if (!row) {
      throw new NotFoundError(`aircraft ${icao24} is not live`)
    }
    return c.json<AircraftResponse>({ aircraft: toAircraftDetail(row) })
  })

  api.get('/flights', async (c) => {
    const query = parseQuery(flightsQuerySchema, c.req.queries())
    // One row more than asked tells whether another page exists.
    const rows = await searchFlights(pool, {
      callsign: query.callsign,
      icao24: query.icao24,
      from: query.from?.text,
      to: query.to?.text,
      after: query.cursor,
      limit: query.limit + 1,
    })
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    const body: FlightsResponse = {
      flights: page.map((flight) => toFlightListItem(flight, flight.waypointCount)),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.key) : null,
    }
    return c.json(body)
  })

  api.get('/flights/:uuid', async (c) => {
    const uuid = parseParam(uuidSchema, 'uuid', c.req.param('uuid'))
    const flight = await findFlight(pool, uuid)
    if (!flight) {
      throw new NotFoundError(`flight ${uuid} does not exist`)
    }
    const track = toTrack(flight.route)
    return c.json<FlightResponse>({
      flight: {
        ...toFlightListItem(flight, track.length),
        route: track,
        live: flight.live ? toAircraftDetail(flight.live) : null,
      },
    })
  })

  // Shared like /api/live: every viewer polls the status as often as the aircraft.
  const sharedStatus = createSharedLoader<StatusResponse>(config.liveCacheMs)
  const loadStatus = async (): Promise<StatusResponse> => {
    const now = clock()
    const [freshness, overview] = await Promise.all([
      readPipelineFreshness(pool),
      selectPipelineOverview(pool, now),
    ])
    const ageSeconds =
      freshness.ageSeconds === null ? null : Math.max(0, Math.round(freshness.ageSeconds))
    const sweep = overview.lastSweep
    return {
      time: now.toISOString(),
      freshness: {
        lastWriteAt: freshness.lastWriteAt?.toISOString() ?? null,
        lastDataTime: freshness.lastDataTime?.toISOString() ?? null,
        ageSeconds,
        stale: ageSeconds === null || ageSeconds > config.staleSeconds,
        staleAfterSeconds: config.staleSeconds,
        streams: freshness.streams,
      },
      aircraftLive: overview.aircraftLive,
      flightsOpen: overview.flightsOpen,
      flightsEndedToday: overview.flightsEndedToday,
      lastSweep: sweep
        ? {
            startedAt: sweep.startedAt.toISOString(),
            finishedAt: sweep.finishedAt.toISOString(),
            flightsEnded: sweep.flightsEnded,
            ageSeconds: secondsBetween(sweep.finishedAt, now),
          }
        : null,
      kafkaLag: sweep ? lagFromReport(sweep.report) : null,
      alerts: overview.activeAlerts.map((alert) => ({
        name: alert.name,
        value: alert.value,
        threshold: alert.threshold,
        details: alert.details,
        raisedAt: alert.raisedAt?.toISOString() ?? null,
      })),
    }
  }

  api.get('/status', async (c) => {
    parseQuery(z.strictObject({}), c.req.queries())
    const body = await sharedStatus('', loadStatus)
    c.header('Cache-Control', 'no-cache')
    return c.json(body)
  })

  return api
}
