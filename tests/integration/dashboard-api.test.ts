import { randomUUID } from 'node:crypto'
import { gunzipSync } from 'node:zlib'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type {
  AircraftResponse,
  ErrorResponse,
  FlightResponse,
  FlightsResponse,
  LiveResponse,
  StatusResponse,
} from '../../functions/dashboard/api-types.ts'
import { createApp } from '../../functions/dashboard/app.ts'
import { loadConfig } from '../../functions/dashboard/config.ts'
import { encodeCursor } from '../../functions/dashboard/query.ts'
import { freePort } from '../../scripts/free-port.ts'
import { createPool, type Pool } from '../../shared/db/pool.ts'
import { silentLogger } from '../../shared/logger.ts'
import { useTestDatabase } from '../helpers/postgres.ts'
import {
  makeAircraft,
  makeEndedFlights,
  type SeedAircraft,
  seedAlert,
  type SeedFlight,
  seedFlights,
  seedLiveAircraft,
  seedPipelineStatus,
  seedSweeperRun,
} from '../helpers/seed-dashboard.ts'

const NOW = new Date('2026-05-01T12:00:00Z')
const EVIL_CALLSIGN = '<img src=x onerror=alert(1)>'
const ASSETS = { js: 'export {}', css: 'body { margin: 0 }', world: '{"type":"Topology"}' }

const getDatabase = useTestDatabase()
let pool: Pool
let aircraft: SeedAircraft[]
let ended: SeedFlight[]
let app: ReturnType<typeof createApp>

function buildApp(env: Record<string, string> = {}, clock: () => Date = () => NOW) {
  const config = loadConfig({
    DATABASE_URL: getDatabase().url,
    DASHBOARD_LIVE_CACHE_MS: '0',
    ...env,
  })
  return createApp({ config, logger: silentLogger, pool, assets: ASSETS, clock })
}

/** A cursor as the API would encode one for a flight starting at `startTime` (PostgreSQL text). */
function cursorAt(startTime: string): string {
  return encodeCursor({ startTime, flightUuid: '0f8fad5b-d9cb-469f-a165-70867728950e' })
}

async function getJson<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await app.request(path, init)
  return { status: res.status, body: (await res.json()) as T }
}

beforeAll(async () => {
  const database = getDatabase()
  aircraft = makeAircraft(300, { now: NOW, seed: 7 })
  const first = aircraft[0] as SeedAircraft
  first.callsign = EVIL_CALLSIGN
  first.lat = 10.5
  first.lon = 179.5
  first.altitude = 10972.8
  first.onGround = false
  const grounded = aircraft[1] as SeedAircraft
  grounded.onGround = true
  grounded.altitude = null
  grounded.callsign = null
  await seedLiveAircraft(database.pool, aircraft)

  // 137 finished flights, three of them sharing one start time so paging must break ties.
  ended = makeEndedFlights(137, {
    newestStart: new Date('2026-05-01T06:00:00Z'),
    spacingSeconds: 120,
    callsigns: ['AFR100', 'AFR200', 'DLH4', 'DLH45', 'X_%Y'],
    icao24s: ['3c6703', '4a09ab', 'a0a522'],
  })
  for (const flight of ended.slice(10, 13)) {
    flight.startTime = new Date('2026-05-01T05:30:00Z')
    flight.endTime = new Date('2026-05-01T07:30:00Z')
  }
  // Two flights that ended yesterday (UTC) must not count as ended today.
  for (const flight of ended.slice(-2)) {
    flight.startTime = new Date('2026-04-30T20:00:00Z')
    flight.endTime = new Date('2026-04-30T23:59:00Z')
  }
  await seedFlights(database.pool, ended)

  pool = createPool(database.url, {
    applicationName: 'dashboard-test',
    logger: silentLogger,
    max: 4,
    readOnly: true,
  })
  app = buildApp()
})

afterAll(async () => {
  await pool.end()
})

describe('GET /api/live', () => {
  it('returns every live aircraft as aligned column arrays', async () => {
    const { status, body } = await getJson<LiveResponse>('/api/live')
    expect(status).toBe(200)
    expect(body.count).toBe(aircraft.length)
    for (const column of Object.values(body.columns)) {
      expect(column).toHaveLength(aircraft.length)
    }
    const i = body.columns.icao24.indexOf(aircraft[0]!.icao24)
    expect(body.columns.callsign[i]).toBe(EVIL_CALLSIGN)
    expect(body.columns.lat[i]).toBe(10.5)
    expect(body.columns.lon[i]).toBe(179.5)
    expect(body.columns.altitude[i]).toBe(10973)
    expect(body.columns.onGround[i]).toBe(0)
    const g = body.columns.icao24.indexOf(aircraft[1]!.icao24)
    expect(body.columns.onGround[g]).toBe(1)
    expect(body.columns.altitude[g]).toBeNull()
    expect(body.columns.callsign[g]).toBeNull()
    expect(body.time).toBe(NOW.toISOString())
  })

  it('filters by bounding box, also across the antimeridian', async () => {
    const inside = aircraft.filter((a) => a.lat >= 0 && a.lat <= 60 && a.lon >= -20 && a.lon <= 40)
    const { body } = await getJson<LiveResponse>('/api/live?bbox=-20,0,40,60')
    expect(body.columns.icao24.sort()).toEqual(inside.map((a) => a.icao24).sort())

    const crossing = await getJson<LiveResponse>('/api/live?bbox=179,10,-179,11')
    expect(crossing.body.columns.icao24).toContain(aircraft[0]!.icao24)
  })

  it('answers 304 when the client already has the current data', async () => {
    const first = await app.request('/api/live')
    const etag = first.headers.get('ETag')
    expect(etag).toMatch(/^W\/".+"$/)
    const again = await app.request('/api/live', { headers: { 'If-None-Match': etag ?? '' } })
    expect(again.status).toBe(304)
    const other = await app.request('/api/live', { headers: { 'If-None-Match': 'W/"old"' } })
    expect(other.status).toBe(200)
    // If-None-Match compares weakly (RFC 9110, 13.1.2): a proxy may have dropped the W/.
    for (const header of [etag!.slice(2), `"old", ${etag!}`, '*']) {
      const matched = await app.request('/api/live', { headers: { 'If-None-Match': header } })
      expect(matched.status, header).toBe(304)
    }
  })

  it('answers 304 for unchanged data although the clock moved and the answer was rebuilt', async () => {
    let now = NOW.getTime()
    // Every answer is built afresh (cache 0) and each one reads a later time, as in production
    // after the shared cache expires.
    const moving = buildApp({}, () => new Date((now += 1200)))
    const first = await moving.request('/api/live')
    const firstBody = (await first.json()) as LiveResponse
    const etag = first.headers.get('ETag') ?? ''
    const again = await moving.request('/api/live', { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    const full = await moving.request('/api/live')
    expect(full.headers.get('ETag')).toBe(etag)
    const fullBody = (await full.json()) as LiveResponse
    expect(fullBody.time).not.toBe(firstBody.time)
    expect(fullBody.columns).toEqual(firstBody.columns)
  })

  it('changes the ETag when the data changes', async () => {
    const before = (await app.request('/api/live')).headers.get('ETag') ?? ''
    const target = aircraft[7]!
    // Only a position moves: neither newestContact nor count change.
    const moveTo = (lat: number) =>
      getDatabase().pool.query(`UPDATE live_flights SET lat = $2 WHERE icao24 = $1`, [
        target.icao24,
        lat,
      ])
    await moveTo(target.lat > 0 ? target.lat - 0.5 : target.lat + 0.5)
    try {
      const after = await app.request('/api/live', { headers: { 'If-None-Match': before } })
      expect(after.status).toBe(200)
      expect(after.headers.get('ETag')).not.toBe(before)
    } finally {
      await moveTo(target.lat)
    }
  })

  it('gzips the answer for clients that accept gzip, and only for them', async () => {
    const plain = await (await app.request('/api/live')).text()
    const res = await app.request('/api/live', { headers: { 'Accept-Encoding': 'gzip, br' } })
    expect(res.headers.get('Content-Encoding')).toBe('gzip')
    expect(res.headers.get('Vary')).toContain('Accept-Encoding')
    expect(gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8')).toBe(plain)
    const refused = await app.request('/api/live', { headers: { 'Accept-Encoding': 'gzip;q=0' } })
    expect(refused.headers.get('Content-Encoding')).toBeNull()
    expect(await refused.text()).toBe(plain)
  })

  it.each([
    ['bbox=1,2,3', 'bbox'],
    ['bbox=0,50,10,40', 'bbox'],
    ['bbox=a,b,c,d', 'bbox'],
    ['bbox=,,,', 'bbox'],
    ['bbox=500,0,-500,10', 'bbox'],
    ['since=5', 'unknown query parameter since'],
  ])('rejects %s with 400 naming the parameter', async (query, named) => {
    const { status, body } = await getJson<ErrorResponse>(`/api/live?${query}`)
    expect(status).toBe(400)
    expect(body.error).toContain(named)
  })
})

describe('GET /api/aircraft/:icao24', () => {
  it('returns every field of a live aircraft', async () => {
    const target = aircraft[5]!
    const { status, body } = await getJson<AircraftResponse>(
      `/api/aircraft/${target.icao24.toUpperCase()}`
    )
    expect(status).toBe(200)
    expect(body.aircraft).toMatchObject({
      icao24: target.icao24,
      flightUuid: target.flightUuid,
      lat: target.lat,
      lon: target.lon,
      verticalRate: target.verticalRate,
      lastContact: target.lastContact.toISOString(),
    })
  })

  it('answers 404 for an aircraft that is not live and 400 for a malformed icao24', async () => {
    expect((await app.request('/api/aircraft/abcdef')).status).toBe(404)
    const bad = await getJson<ErrorResponse>('/api/aircraft/xyz')
    expect(bad.status).toBe(400)
    expect(bad.body.error).toContain('icao24')
  })
})

describe('GET /api/flights', () => {
  it('pages through every flight exactly once, newest start first', async () => {
    const seen: string[] = []
    const starts: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor ? `limit=10&cursor=${cursor}` : 'limit=10'
      const { status, body } = await getJson<FlightsResponse>(`/api/flights?${query}`)
      expect(status).toBe(200)
      expect(body.flights.length).toBeLessThanOrEqual(10)
      seen.push(...body.flights.map((f) => f.flightUuid))
      starts.push(...body.flights.map((f) => f.startTime))
      cursor = body.nextCursor
      pages++
    } while (cursor && pages < 100)
    const all = [...aircraft.map((a) => a.flightUuid), ...ended.map((f) => f.flightUuid)]
    expect(seen).toHaveLength(all.length)
    expect(new Set(seen)).toEqual(new Set(all))
    expect(starts).toEqual([...starts].sort().reverse())
  })

  it('keeps paging stable when a new flight starts between pages', async () => {
    const firstPage = await getJson<FlightsResponse>('/api/flights?icao24=3c6703&limit=5')
    await seedFlights(getDatabase().pool, [
      {
        ...ended[0]!,
        flightUuid: '00000000-0000-4000-8000-000000000001',
        startTime: NOW,
        endTime: null,
      },
    ])
    const secondPage = await getJson<FlightsResponse>(
      `/api/flights?icao24=3c6703&limit=5&cursor=${firstPage.body.nextCursor}`
    )
    const uuids = [...firstPage.body.flights, ...secondPage.body.flights].map((f) => f.flightUuid)
    expect(new Set(uuids).size).toBe(10)
    expect(uuids).not.toContain('00000000-0000-4000-8000-000000000001')
  })

  it('filters by callsign prefix, icao24 and start time range', async () => {
    const dlh = await getJson<FlightsResponse>('/api/flights?callsign=dlh4&limit=500')
    const expected = ended.filter((f) => f.callsign?.startsWith('DLH4')).length
    expect(dlh.body.flights).toHaveLength(expected)
    expect(new Set(dlh.body.flights.map((f) => f.callsign))).toEqual(new Set(['DLH4', 'DLH45']))

    const literal = await getJson<FlightsResponse>('/api/flights?callsign=X_%25&limit=500')
    expect(literal.body.flights.length).toBeGreaterThan(0)
    expect(literal.body.flights.every((f) => f.callsign === 'X_%Y')).toBe(true)
    const wildcard = await getJson<FlightsResponse>('/api/flights?callsign=A_R&limit=500')
    expect(wildcard.body.flights).toHaveLength(0)

    const from = '2026-05-01T04:00:00Z'
    const to = '2026-05-01T05:00:00Z'
    const ranged = await getJson<FlightsResponse>(
      `/api/flights?icao24=4A09AB&from=${from}&to=${to}&limit=500`
    )
    const inRange = ended.filter(
      (f) => f.icao24 === '4a09ab' && f.startTime >= new Date(from) && f.startTime < new Date(to)
    )
    expect(ranged.body.flights.map((f) => f.flightUuid).sort()).toEqual(
      inRange.map((f) => f.flightUuid).sort()
    )
    expect(inRange.length).toBeGreaterThan(0)
    const unix = await getJson<FlightsResponse>(
      `/api/flights?icao24=4a09ab&from=${Date.parse(from) / 1000}&to=${Date.parse(to) / 1000}&limit=500`
    )
    expect(unix.body.flights).toEqual(ranged.body.flights)
  })

  it('bounds the time range to the microsecond, as PostgreSQL stores start times', async () => {
    const writer = getDatabase().pool
    const ids = [randomUUID(), randomUUID(), randomUUID()]
    await writer.query(
      `INSERT INTO flight_histories (flight_uuid, icao24, start_time, end_time)
       SELECT id, 'abcdef', start, start + interval '1 hour'
       FROM unnest($1::uuid[], $2::timestamptz[]) AS f(id, start)`,
      [
        ids,
        [
          '2026-05-01 10:00:00+00',
          '2026-05-01 10:00:00.000001+00',
          '2026-05-01 10:00:00.000002+00',
        ],
      ]
    )
    try {
      const search = async (range: string) =>
        (await getJson<FlightsResponse>(`/api/flights?icao24=abcdef&${range}`)).body.flights.map(
          (f) => f.flightUuid
        )
      // Newest start first.
      expect(await search('from=2026-05-01T10:00:00.000001Z')).toEqual([ids[2], ids[1]])
      expect(
        await search('from=2026-05-01T10:00:00.000001Z&to=2026-05-01T10:00:00.000002Z')
      ).toEqual([ids[1]])
      expect(await search('to=2026-05-01T12:00:00.000001%2B02:00')).toEqual([ids[0]])
      // Offsets beyond PostgreSQL's 15:59, which ISO 8601 allows.
      expect(await search('to=2026-05-02T06:00:00.000001%2B20:00')).toEqual([ids[0]])
    } finally {
      await writer.query('DELETE FROM flight_histories WHERE flight_uuid = ANY($1)', [ids])
    }
  })

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['icao24=12345', 'icao24'],
    ['from=yesterday', 'from'],
    ['from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z', 'to'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'cursor'],
    ['from=253402300800', 'from'],
    ['to=9999-12-31T23:59:59-00:01', 'to'],
    ['callsign=', 'callsign'],
    ['limit=5&limit=6', 'limit'],
    ['sort=asc', 'unknown query parameter sort'],
  ])('rejects %s with 400 naming the parameter', async (query, named) => {
    const { status, body } = await getJson<ErrorResponse>(`/api/flights?${query}`)
    expect(status).toBe(400)
    expect(body.error).toContain(named)
  })
  it.each(['2026-13-45 99:99:99+00', '2026-02-30 10:00:00+00', '2026-05-01 10:00:00+99'])(
    'rejects a hand-made cursor at %s with 400 naming the cursor, not a database error',
    async (startTime) => {
      const { status, body } = await getJson<ErrorResponse>(
        `/api/flights?cursor=${cursorAt(startTime)}`
      )
      expect(status).toBe(400)
      expect(body.error).toContain('cursor: is not a cursor returned by this API')
    }
  )

  it.each([
    '2024-02-29 23:59:59.999999+00',
    '2026-05-01 10:00:00+05:30',
    '0001-01-01 00:00:00+14',
    '9999-12-31 23:59:59-12',
  ])('takes a hand-made cursor at %s that PostgreSQL can read', async (startTime) => {
    const { status, body } = await getJson<FlightsResponse>(
      `/api/flights?cursor=${cursorAt(startTime)}`
    )
    expect(status).toBe(200)
    expect(Array.isArray(body.flights)).toBe(true)
  })

  it('takes the widest time range it accepts', async () => {
    const { status, body } = await getJson<FlightsResponse>(
      '/api/flights?from=0001-01-01T00:00:00Z&to=253402300799&limit=1'
    )
    expect(status).toBe(200)
    expect(body.flights).toHaveLength(1)
  })
})

describe('GET /api/flights/:uuid', () => {
  it('returns an open flight with its route and the live position', async () => {
    const target = aircraft[3]!
    const { status, body } = await getJson<FlightResponse>(`/api/flights/${target.flightUuid}`)
    expect(status).toBe(200)
    expect(body.flight.route).toEqual(target.route)
    expect(body.flight.endTime).toBeNull()
    expect(body.flight.live).toMatchObject({ icao24: target.icao24, lat: target.lat })
  })

  it('returns a finished flight without a live position', async () => {
    const flight = ended[20]!
    const { body } = await getJson<FlightResponse>(`/api/flights/${flight.flightUuid}`)
    expect(body.flight.endTime).toBe(flight.endTime?.toISOString())
    expect(body.flight.route).toEqual(flight.route)
    expect(body.flight.live).toBeNull()
  })

  it('drops malformed waypoints instead of passing them to the browser', async () => {
    const uuid = '00000000-0000-4000-8000-0000000000aa'
    await seedFlights(getDatabase().pool, [
      {
        ...ended[0]!,
        flightUuid: uuid,
        route: [
          [1, 2, 3],
          ['<b>', 2, 3],
          [1, 2],
          [95, 0, 1],
          [4, 5, 6],
        ] as never,
      },
    ])
    const { body } = await getJson<FlightResponse>(`/api/flights/${uuid}`)
    expect(body.flight.route).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ])
  })

  it('answers 404 for an unknown flight and 400 for a malformed uuid', async () => {
    expect((await app.request('/api/flights/00000000-0000-4000-8000-00000000ffff')).status).toBe(
      404
    )
    const bad = await getJson<ErrorResponse>('/api/flights/not-a-uuid')
    expect(bad.status).toBe(400)
    expect(bad.body.error).toContain('uuid')
  })
})

describe('GET /api/status', () => {
  it('answers viewers polling at once with one set of queries', async () => {
    let queries = 0
    const counting = new Proxy(pool, {
      get(target, property, receiver) {
        if (property === 'query') {
          return (...args: Parameters<Pool['query']>) => {
            queries++
            return target.query(...args)
          }
        }
        return Reflect.get(target, property, receiver) as unknown
      },
    })
    const config = loadConfig({ DATABASE_URL: getDatabase().url, DASHBOARD_LIVE_CACHE_MS: '1000' })
    const shared = createApp({ config, logger: silentLogger, pool: counting, assets: ASSETS })
    await shared.request('/api/status')
    const perViewer = queries
    expect(perViewer).toBeGreaterThan(0)
    const answers = await Promise.all(
      Array.from({ length: 5 }, async () => shared.request('/api/status'))
    )
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200])
    expect(queries).toBe(perViewer)
  })

  it('reports freshness, counts, the last sweep with its lag, and active alerts', async () => {
    const database = getDatabase()
    const lastWriteAt = new Date(Date.now() - 60_000)
    await seedPipelineStatus(database.pool, [
      // Freshness is measured on the database server's clock, like the sweeper's.
      { stream: 'partition-0', lastDataTime: new Date('2026-05-01T11:58:50Z'), lastWriteAt },
      {
        stream: 'partition-1',
        lastDataTime: new Date('2026-05-01T11:57:50Z'),
        lastWriteAt: new Date(lastWriteAt.getTime() - 60_000),
      },
    ])
    await seedSweeperRun(database.pool, {
      startedAt: new Date('2026-05-01T11:50:00Z'),
      finishedAt: new Date('2026-05-01T11:50:01Z'),
      flightsEnded: 3,
      report: { lag: { total: 1 } },
    })
    await seedSweeperRun(database.pool, {
      startedAt: new Date('2026-05-01T11:59:00Z'),
      finishedAt: new Date('2026-05-01T11:59:02Z'),
      flightsEnded: 7,
      // As functions/sweeper/tick.ts writes it (TickReport), plus an entry that is not a partition.
      report: {
        freshness: { ageSeconds: 60, stale: false },
        lag: {
          enabled: true,
          available: true,
          groupId: 'skytrail-processor',
          topic: 'flight_raw_data',
          total: 42,
          threshold: 10,
          partitionThreshold: 30,
          partitions: [
            { partition: 0, committed: 10, start: 0, end: 50, lag: 40 },
            { partition: 1, committed: 8, start: 0, end: 10, lag: 2 },
            { junk: true },
          ],
        },
      },
    })
    await seedAlert(database.pool, {
      name: 'kafka-lag',
      active: true,
      value: 42,
      threshold: 10,
      details: { topic: 'flight_raw_data' },
      raisedAt: new Date('2026-05-01T11:59:02Z'),
    })
    await seedAlert(database.pool, {
      name: 'freshness',
      active: false,
      value: 20,
      threshold: 300,
      raisedAt: new Date('2026-05-01T10:00:00Z'),
      clearedAt: new Date('2026-05-01T10:05:00Z'),
    })

    const { status, body } = await getJson<StatusResponse>('/api/status')
    expect(status).toBe(200)
    expect(body.freshness).toMatchObject({
      lastWriteAt: lastWriteAt.toISOString(),
      lastDataTime: '2026-05-01T11:58:50.000Z',
      stale: false,
      staleAfterSeconds: 300,
      streams: 2,
    })
    expect(body.freshness.ageSeconds).toBeGreaterThanOrEqual(59)
    expect(body.freshness.ageSeconds).toBeLessThan(120)
    expect(body.aircraftLive).toBe(aircraft.length)
    const openSeeded = aircraft.length + 1 // the flight started in the paging test
    expect(body.flightsOpen).toBe(openSeeded)
    const endedToday = ended.filter(
      (f) => f.endTime && f.endTime >= new Date('2026-05-01T00:00:00Z')
    )
    // The malformed-route flight copies ended[0], which ended today.
    expect(body.flightsEndedToday).toBe(endedToday.length + 1)
    expect(body.lastSweep).toEqual({
      startedAt: '2026-05-01T11:59:00.000Z',
      finishedAt: '2026-05-01T11:59:02.000Z',
      flightsEnded: 7,
      ageSeconds: 58,
    })
    expect(body.kafkaLag).toEqual({
      enabled: true,
      available: true,
      groupId: 'skytrail-processor',
      topic: 'flight_raw_data',
      total: 42,
      threshold: 10,
      partitions: [
        { partition: 0, lag: 40 },
        { partition: 1, lag: 2 },
      ],
    })
    expect(body.alerts).toEqual([
      {
        name: 'kafka-lag',
        value: 42,
        threshold: 10,
        details: { topic: 'flight_raw_data' },
        raisedAt: '2026-05-01T11:59:02.000Z',
      },
    ])
  })

  it('passes on that the lag could not be measured, or was not asked for', async () => {
    const database = getDatabase()
    const run = (lag: unknown, minute: number) =>
      seedSweeperRun(database.pool, {
        startedAt: new Date(`2026-05-01T12:0${minute}:00Z`),
        finishedAt: new Date(`2026-05-01T12:0${minute}:01Z`),
        flightsEnded: 0,
        report: { lag },
      })
    const error = 'connect ECONNREFUSED 127.0.0.1:9092'
    await run({ enabled: true, available: false, groupId: 'g', topic: 't', error }, 1)
    expect((await getJson<StatusResponse>('/api/status')).body.kafkaLag).toEqual({
      enabled: true,
      available: false,
      groupId: 'g',
      topic: 't',
      // The sweeper's message names the broker's host: it stays in the sweeper's log.
      error: 'the sweeper could not read the consumer lag; its log says why',
    })
    await run({ enabled: false }, 2)
    expect((await getJson<StatusResponse>('/api/status')).body.kafkaLag).toEqual({ enabled: false })
    await run('not a report', 3)
    expect((await getJson<StatusResponse>('/api/status')).body.kafkaLag).toBeNull()
  })

  it('marks data as stale past the threshold', async () => {
    app = buildApp({ DASHBOARD_STALE_SECONDS: '30' })
    const { body } = await getJson<StatusResponse>('/api/status')
    expect(body.freshness.stale).toBe(true)
    app = buildApp()
  })
})

describe('dashboard database access', () => {
  it('cannot write through its pool', async () => {
    await expect(pool.query(`DELETE FROM live_flights`)).rejects.toMatchObject({ code: '25006' })
  })
})

describe('dashboard page and headers', () => {
  it('sends a Content-Security-Policy without inline script and forbids framing', async () => {
    for (const path of ['/', '/api/live', '/assets/app.js']) {
      const res = await app.request(path)
      const csp = res.headers.get('Content-Security-Policy') ?? ''
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).toContain("frame-ancestors 'none'")
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    }
  })

  it('serves the page with links to the hashed assets, which are cached for a year', async () => {
    const page = await (await app.request('/')).text()
    const script = /<script type="module" src="(\/assets\/app\.js\?v=[\w-]+)"/.exec(page)?.[1]
    expect(script).toBeDefined()
    expect(page).not.toMatch(/<script>(?!<)/)
    const res = await app.request(script ?? '')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toContain('text/javascript')
    expect(res.headers.get('Cache-Control')).toContain('immutable')
    expect(await res.text()).toBe(ASSETS.js)
    const zipped = await app.request(script ?? '', { headers: { 'Accept-Encoding': 'gzip' } })
    expect(zipped.headers.get('Content-Encoding')).toBe('gzip')
    expect(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString('utf8')).toBe(ASSETS.js)
    const unversioned = await app.request('/assets/app.css')
    expect(unversioned.headers.get('Cache-Control')).toBe('no-cache')
    const cached = await app.request('/assets/app.css', {
      headers: { 'If-None-Match': unversioned.headers.get('ETag') ?? '' },
    })
    expect(cached.status).toBe(304)
    // Compared weakly, as for the API: a proxy that compresses may have weakened the tag.
    const weakened = await app.request('/assets/app.css', {
      headers: { 'If-None-Match': `W/${unversioned.headers.get('ETag')}` },
    })
    expect(weakened.status).toBe(304)
  })

  it('answers 405 with the allowed methods for another method on a known path', async () => {
    for (const path of ['/api/live', `/api/flights/${randomUUID()}`, '/', '/assets/app.js']) {
      const res = await app.request(path, { method: 'POST' })
      expect(res.status, path).toBe(405)
      expect(res.headers.get('Allow'), path).toBe('GET, HEAD, OPTIONS')
      expect(await res.json()).toEqual({
        error: `method POST is not allowed on ${path}; allowed: GET, HEAD, OPTIONS`,
      })
    }
    expect((await app.request('/api/nothing', { method: 'POST' })).status).toBe(404)
  })

  it('allows the configured tile origin for images only and escapes config in the page', async () => {
    const tiled = buildApp({
      DASHBOARD_TILE_URL: 'https://{s}.tiles.example.org/{z}/{x}/{y}.png',
      DASHBOARD_TILE_ATTRIBUTION: '"><script>alert(1)</script>',
    })
    const res = await tiled.request('/')
    expect(res.headers.get('Content-Security-Policy')).toContain(
      "img-src 'self' data: https://*.tiles.example.org"
    )
    const page = await res.text()
    expect(page).toContain(
      'data-tile-attribution="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'
    )
  })

  it('answers health checks, and serves /metrics only when DASHBOARD_METRICS allows it', async () => {
    expect((await app.request('/health/readiness')).status).toBe(200)
    expect((await app.request('/metrics')).status).toBe(404)
    const metered = buildApp({ DASHBOARD_METRICS: 'true' })
    await metered.request('/api/live')
    const res = await metered.request('/metrics')
    expect(res.status).toBe(200)
    const metrics = await res.text()
    expect(metrics).toContain('dashboard_http_request_duration_seconds')
    expect(metrics).toContain(`dashboard_live_aircraft{service="dashboard"} ${aircraft.length}`)
    // A viewer's box with no aircraft in it leaves the gauge alone.
    await metered.request('/api/live?bbox=-1,-1,0,0')
    expect(await (await metered.request('/metrics')).text()).toContain(
      `dashboard_live_aircraft{service="dashboard"} ${aircraft.length}`
    )
  })
})

describe('dashboard on a failing database', () => {
  /** The dashboard on `url`, with a pool that gives up quickly. */
  async function withBrokenDatabase(
    url: string,
    use: (broken: ReturnType<typeof createApp>) => Promise<void>
  ): Promise<void> {
    const brokenPool = createPool(url, {
      applicationName: 'dashboard-test-broken',
      logger: silentLogger,
      max: 1,
      connectionTimeoutMillis: 2_000,
      readOnly: true,
    })
    try {
      const config = loadConfig({ DATABASE_URL: url })
      await use(createApp({ config, logger: silentLogger, pool: brokenPool, assets: ASSETS }))
    } finally {
      await brokenPool.end()
    }
  }

  it("answers 503 without the driver's error text when PostgreSQL cannot be reached", async () => {
    const port = await freePort()
    await withBrokenDatabase(
      `postgres://skytrail:secret@127.0.0.1:${port}/skytrail`,
      async (broken) => {
        for (const path of ['/api/live', '/api/status', '/api/flights']) {
          const res = await broken.request(path)
          expect(res.status, path).toBe(503)
          expect(await res.json(), path).toEqual({ error: 'database unavailable' })
        }
        const readiness = await broken.request('/health/readiness')
        expect(readiness.status).toBe(503)
        const text = await readiness.text()
        expect(text).not.toContain('127.0.0.1')
        expect(text).not.toContain(String(port))
      }
    )
  })

  it("answers without PostgreSQL's message when the database is refused", async () => {
    const url = new URL(getDatabase().url)
    url.pathname = '/skytrail_no_such_database'
    await withBrokenDatabase(url.toString(), async (broken) => {
      for (const path of ['/api/live', '/health/readiness']) {
        const res = await broken.request(path)
        expect(res.status, path).toBeGreaterThanOrEqual(500)
        const text = await res.text()
        expect(text, path).not.toContain('skytrail_no_such_database')
        expect(text, path).not.toContain('does not exist')
      }
    })
  })
})
