import { CloudEvent } from 'cloudevents'
import type pg from 'pg'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'

import { createApp } from '../../functions/processor/app.ts'
import type { DeliverySummary } from '../../functions/processor/delivery.ts'
import { createDeliveryWriter } from '../../functions/processor/delivery.ts'
import { applyStates } from '../../shared/db/apply-states.ts'
import { createPool, pingDatabase, withTransaction } from '../../shared/db/pool.ts'
import { KAFKA_RECORD_EVENT_TYPE } from '../../shared/events/index.ts'
import { createMetricsRegistry } from '../../shared/http/metrics.ts'
import { silentLogger } from '../../shared/logger.ts'
import { asBatch, asBinary, asStructured, statesEvent } from '../fixtures/events.ts'
import { loadSample, stateRow } from '../fixtures/opensky.ts'
import { untilWaitingOnLock, useTestDatabase } from '../helpers/postgres.ts'
import { liveState } from '../helpers/sweeper-seed.ts'

const RULES = { waypointIntervalSeconds: 300, flightTimeoutSeconds: 1200 }
const T0 = 1_700_000_000

const database = useTestDatabase()
const pools: pg.Pool[] = []

function processor(url = database().url, maxBodyBytes = 16 * 1024 * 1024) {
  const pool = createPool(url, { applicationName: 'processor-test', logger: silentLogger, max: 4 })
  pools.push(pool)
  return processorOn(pool, maxBodyBytes)
}

/**
 * A pool for the processor that counts every statement that lost a deadlock: withTransaction
 * retries those, so the answers' statuses hide them.
 */
function deadlockCountingPool(applicationName: string) {
  const pool = createPool(database().url, { applicationName, logger: silentLogger, max: 4 })
  pools.push(pool)
  const counter = { pool, deadlocks: 0 }
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as { query: unknown }).query = (...args: unknown[]) => {
      const result = query(...args)
      if (result instanceof Promise) {
        result.catch((err: { code?: string }) => {
          if (err.code === '40P01') counter.deadlocks++
        })
      }
      return result
    }
  })
  return counter
}

/** The processor app writing through `pool`. */
function processorOn(pool: pg.Pool, maxBodyBytes = 16 * 1024 * 1024) {
  return createApp({
    maxBodyBytes,
    logger: silentLogger,
    metrics: createMetricsRegistry('processor'),
    writeDeliveries: createDeliveryWriter(pool, RULES),
    readiness: () => pingDatabase(pool),
  })
}

async function deliver(app: ReturnType<typeof processor>, init: RequestInit) {
  const response = await app.request('/', init)
  return {
    status: response.status,
    body: (await response.json()) as DeliverySummary & { error?: string },
  }
}

/** A structured-mode request for a CloudEvent written out as JSON, attributes as given. */
function asStructuredJson(event: Record<string, unknown>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(event),
  }
}

function withoutHeader(headers: Record<string, string>, name: string) {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name))
}

async function rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  return (await database().pool.query<T>(text, values)).rows
}

/** Everything the processor writes about flights, comparable across runs. */
async function flightData() {
  return {
    live: await rows(
      'SELECT icao24, flight_uuid, lat, lon, last_contact, last_waypoint_at FROM live_flights ORDER BY icao24'
    ),
    flights: await rows(
      'SELECT flight_uuid, icao24, start_time, end_time, route_data FROM flight_histories ORDER BY flight_uuid'
    ),
  }
}

beforeEach(async () => {
  await database().pool.query(
    'TRUNCATE live_flights, flight_histories, pipeline_status, processed_events'
  )
})

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()))
})

describe('processor with real PostgreSQL', () => {
  it('writes a real OpenSky response into live_flights and starts one flight per aircraft', async () => {
    const sample = loadSample('sample-1')
    const { status, body } = await deliver(processor(), asBinary(statesEvent(sample)))

    expect(status).toBe(200)
    expect(body).toMatchObject({ received: 46, accepted: 46, upserted: 46, flightsStarted: 46 })
    const [dlh] = await rows<{
      callsign: string
      velocity_kmh: number
      last_contact: Date
      altitude: number
      on_ground: boolean
    }>(
      `SELECT callsign, velocity_kmh, last_contact, altitude, on_ground FROM live_flights WHERE icao24 = '3c6703'`
    )
    expect(dlh?.callsign).toBe('DLH453')
    expect(dlh?.velocity_kmh).toBeCloseTo(64.2 * 3.6, 9)
    expect(dlh?.last_contact.toISOString()).toBe(new Date(1604921480 * 1000).toISOString())
    expect(dlh?.altitude).toBe(541.02)

    const [flight] = await rows<{ route_data: unknown; start_time: Date; origin_country: string }>(
      `SELECT route_data, start_time, origin_country FROM flight_histories WHERE icao24 = '3c6703'`
    )
    expect(flight?.route_data).toEqual([[48.3374, 11.7085, 1604921480]])
    expect(flight?.origin_country).toBe('Germany')
    const [status_] = await rows<{ deliveries: string; states_received: string }>(
      'SELECT deliveries, states_received FROM pipeline_status'
    )
    expect(status_).toEqual({ deliveries: '1', states_received: '46' })
  })

  it('drops states without position and counts them; handles 18-field rows of the world sample', async () => {
    const small = await deliver(processor(), asBinary(statesEvent(loadSample('sample-2'))))
    expect(small.body).toMatchObject({ received: 6, accepted: 5, dropped: { noPosition: 1 } })

    const world = await deliver(processor(), asBinary(statesEvent(loadSample('sample-3'))))
    expect(world.status).toBe(200)
    expect(world.body).toMatchObject({
      received: 4181,
      accepted: 4125,
      dropped: { noPosition: 56, invalid: 0 },
    })
    const [count] = await rows<{ n: number; categorised: number }>(
      'SELECT count(*)::int AS n, count(category)::int AS categorised FROM live_flights'
    )
    // One aircraft (aa56db) is in both samples: its 2022 state replaced its 2018 one.
    expect(count?.n).toBe(4125 + 5 - 1)
    expect(count?.categorised).toBeGreaterThan(4000)
  })

  it('changes no flight data when the same event is delivered twice', async () => {
    const app = processor()
    const event = statesEvent(loadSample('sample-1'))
    await deliver(app, asBinary(event))
    const before = await flightData()

    const again = await deliver(app, asBinary(event))
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ duplicate: true, upserted: 0, flightsStarted: 0 })
    expect(await flightData()).toEqual(before)
  })

  it('changes nothing for the same states under a new event id, or for older states', async () => {
    const app = processor()
    const sample = loadSample('sample-1')
    await deliver(app, asBinary(statesEvent(sample)))
    const before = await flightData()

    const resent = await deliver(app, asBinary(statesEvent(sample)))
    expect(resent.body).toMatchObject({ duplicate: false, upserted: 0, dropped: { stale: 46 } })

    const older = {
      time: sample.time - 60,
      states: (sample.states as unknown[][]).map((row) => {
        const copy = [...row]
        copy[4] = (row[4] as number) - 60
        copy[6] = 10
        return copy
      }),
    }
    const late = await deliver(app, asBinary(statesEvent(older)))
    expect(late.body).toMatchObject({ upserted: 0, dropped: { stale: 46 } })
    expect(await flightData()).toEqual(before)
  })

  it('samples a waypoint at most every 5 minutes of data time', async () => {
    const app = processor()
    for (const [offset, lat] of [
      [0, 48.0],
      [60, 48.1],
      [299, 48.2],
      [300, 48.3],
      [420, 48.4],
      [600, 48.5],
      [610, 48.6],
    ] as const) {
      const event = statesEvent({
        time: T0 + offset,
        states: [stateRow({ lastContact: T0 + offset, lat })],
      })
      expect((await deliver(app, asBinary(event))).status).toBe(200)
    }
    const [flight] = await rows<{ route_data: number[][] }>(
      'SELECT route_data FROM flight_histories'
    )
    expect(flight?.route_data).toEqual([
      [48.0, 11.7085, T0],
      [48.3, 11.7085, T0 + 300],
      [48.5, 11.7085, T0 + 600],
    ])
    const [live] = await rows<{ lat: number; last_waypoint_at: Date }>(
      'SELECT lat, last_waypoint_at FROM live_flights'
    )
    expect(live).toEqual({ lat: 48.6, last_waypoint_at: new Date((T0 + 600) * 1000) })
  })

  it('records a waypoint at the time its position was measured, not at last contact', async () => {
    const app = processor()
    await deliver(app, asBinary(statesEvent({ time: T0, states: [stateRow({ lastContact: T0 })] })))
    // A stale position (measured 1000 s ago) heard again 400 s later is not a new waypoint.
    const stale = stateRow({ lastContact: T0 + 400, timePosition: T0 - 1000, lat: 47 })
    await deliver(app, asBinary(statesEvent({ time: T0 + 400, states: [stale] })))
    const fresh = stateRow({ lastContact: T0 + 700, timePosition: T0 + 690, lat: 47.5 })
    await deliver(app, asBinary(statesEvent({ time: T0 + 700, states: [fresh] })))
    // A position time after last contact (a skewed clock) counts as last contact; none at all too.
    const skewed = stateRow({ lastContact: T0 + 1000, timePosition: T0 + 1100, lat: 47.6 })
    await deliver(app, asBinary(statesEvent({ time: T0 + 1000, states: [skewed] })))
    const unknown = stateRow({ lastContact: T0 + 1300, timePosition: null, lat: 47.7 })
    await deliver(app, asBinary(statesEvent({ time: T0 + 1300, states: [unknown] })))

    const [flight] = await rows<{ route_data: number[][] }>(
      'SELECT route_data FROM flight_histories'
    )
    expect(flight?.route_data).toEqual([
      [48.3374, 11.7085, T0],
      [47.5, 11.7085, T0 + 690],
      [47.6, 11.7085, T0 + 1000],
      [47.7, 11.7085, T0 + 1300],
    ])
  })

  it('ends a flight at its last contact and starts a new one after more than the timeout of silence', async () => {
    const app = processor()
    await deliver(app, asBinary(statesEvent({ time: T0, states: [stateRow({ lastContact: T0 })] })))
    await deliver(
      app,
      asBinary(statesEvent({ time: T0 + 1200, states: [stateRow({ lastContact: T0 + 1200 })] }))
    )
    expect(await rows('SELECT 1 FROM flight_histories')).toHaveLength(1)

    const back = await deliver(
      app,
      asBinary(
        statesEvent({ time: T0 + 2401, states: [stateRow({ lastContact: T0 + 2401, lat: 50 })] })
      )
    )
    expect(back.body).toMatchObject({ flightsStarted: 1, flightsEnded: 1 })
    const flights = await rows<{
      flight_uuid: string
      start_time: Date
      end_time: Date | null
      route_data: unknown
    }>(
      'SELECT flight_uuid, start_time, end_time, route_data FROM flight_histories ORDER BY start_time'
    )
    expect(
      flights.map((f) => [f.start_time.getTime() / 1000, f.end_time && f.end_time.getTime() / 1000])
    ).toEqual([
      [T0, T0 + 1200],
      [T0 + 2401, null],
    ])
    expect(flights[1]?.route_data).toEqual([[50, 11.7085, T0 + 2401]])
    const [live] = await rows<{ flight_uuid: string }>('SELECT flight_uuid FROM live_flights')
    expect(live?.flight_uuid).toBe(flights[1]?.flight_uuid)
  })

  it('keeps the newest state when an aircraft appears twice in one batch', async () => {
    const event = statesEvent({
      time: T0 + 10,
      states: [
        stateRow({ lastContact: T0 + 10, lat: 49 }),
        stateRow({ lastContact: T0 + 5, lat: 47 }),
        stateRow({ icao24: 'abc123', lastContact: T0 }),
      ],
    })
    const { body } = await deliver(processor(), asBinary(event))
    expect(body).toMatchObject({ received: 3, accepted: 2, dropped: { duplicate: 1 }, upserted: 2 })
    const live = await rows<{ icao24: string; lat: number }>(
      'SELECT icao24, lat FROM live_flights ORDER BY icao24'
    )
    expect(live).toEqual([
      { icao24: '3c6703', lat: 49 },
      { icao24: 'abc123', lat: 48.3374 },
    ])
  })

  it('drops invalid rows one by one and keeps the rest of the batch', async () => {
    const event = statesEvent({
      time: T0,
      states: [
        stateRow({ lastContact: T0 }),
        ['not-hex', 'X', 'Y', T0, T0, 1, 1, 1, false, 1, 1, 1, null, 1, null, false, 0],
        [1, 2, 3],
        stateRow({ icao24: 'ABC123', lastContact: T0, lat: 123 }),
        'not a row',
      ],
    })
    const { status, body } = await deliver(processor(), asBinary(event))
    expect(status).toBe(200)
    expect(body).toMatchObject({ received: 5, accepted: 1, dropped: { invalid: 4 }, upserted: 1 })
  })

  it('drops rows whose values the database could not store, instead of failing the batch', async () => {
    const event = statesEvent({
      time: T0,
      states: [
        stateRow({ lastContact: T0 }),
        stateRow({ icao24: 'aaaaa1', lastContact: 9e15 }),
        stateRow({ icao24: 'aaaaa2', lastContact: T0, callsign: 'NUL\u0000' }),
        stateRow({ icao24: 'aaaaa3', lastContact: T0, velocity: 1e308 }),
      ],
    })
    const { status, body } = await deliver(processor(), asBinary(event))
    expect(status).toBe(200)
    expect(body).toMatchObject({ received: 4, accepted: 1, dropped: { invalid: 3 }, upserted: 1 })
  })

  it('accepts KafkaSource deliveries of plain JSON records, as the original Python producer wrote them', async () => {
    const record = JSON.stringify(loadSample('sample-2'))
    const response = await processor().request('/', {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'partition:3/offset:42',
        'ce-source': '/apis/v1/namespaces/flights/kafkasources/processor#flight_raw_data',
        'ce-type': KAFKA_RECORD_EVENT_TYPE,
        'ce-subject': 'partition:3#42',
        'ce-knativekafkapartition': '3',
        'ce-knativekafkaoffset': '42',
      },
      body: record,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ received: 6, accepted: 5 })
    expect(await rows('SELECT stream FROM pipeline_status')).toEqual([{ stream: 'partition:3' }])
  })

  it('accepts structured and batched content modes', async () => {
    const app = processor()
    const structured = await deliver(
      app,
      asStructured(statesEvent({ time: T0, states: [stateRow({ lastContact: T0 })] }))
    )
    expect(structured.body).toMatchObject({ upserted: 1 })

    const batch = await app.request(
      '/',
      asBatch([
        statesEvent({
          time: T0 + 1,
          states: [stateRow({ icao24: 'aaaaaa', lastContact: T0 + 1 })],
        }),
        statesEvent({
          time: T0 + 2,
          states: [stateRow({ icao24: 'bbbbbb', lastContact: T0 + 2 })],
        }),
      ])
    )
    expect(batch.status).toBe(200)
    const body = (await batch.json()) as { deliveries: DeliverySummary[] }
    expect(body.deliveries.map((d) => d.upserted)).toEqual([1, 1])

    // A batch of one is still answered as a batch.
    const single = await app.request(
      '/',
      asBatch([
        statesEvent({ time: T0, states: [stateRow({ icao24: 'cccccc', lastContact: T0 })] }),
      ])
    )
    expect(await single.json()).toMatchObject({ deliveries: [{ upserted: 1 }] })

    // JSON data may also travel base64-encoded in data_base64.
    const { data, ...attributes } = statesEvent({
      time: T0,
      states: [stateRow({ icao24: 'dddddd', lastContact: T0 })],
    }).toJSON()
    const base64 = await deliver(
      app,
      asStructuredJson({
        ...attributes,
        data_base64: Buffer.from(JSON.stringify(data)).toString('base64'),
      })
    )
    expect(base64).toMatchObject({ status: 200, body: { upserted: 1 } })

    // Content types as senders spell them, and JSON after whitespace, which JSON allows.
    const event = (icao24: string) =>
      statesEvent({ time: T0, states: [stateRow({ icao24, lastContact: T0 })] })
    for (const [i, contentType] of [
      'application/cloudevents+json; charset=UTF-8',
      'application/cloudevents+json;charset=utf-8',
    ].entries()) {
      const spelt = await deliver(app, {
        ...asStructured(event(`eeeee${i}`)),
        headers: { 'content-type': contentType },
      })
      expect(spelt, contentType).toMatchObject({ status: 200, body: { upserted: 1 } })
    }
    const binary = asBinary(event('ffffff'))
    const padded = await deliver(app, { ...binary, body: `\n  ${binary.body as string}` })
    expect(padded).toMatchObject({ status: 200, body: { upserted: 1 } })

    expect(await rows('SELECT 1 FROM live_flights')).toHaveLength(8)
    const metrics = await (await app.request('/metrics')).text()
    expect(metrics).toMatch(
      /skytrail_processor_deliveries_total\{result="committed",service="processor"\} 8\n/
    )
  })

  it('rejects bad deliveries with 400 or 413 and writes nothing for them, not even earlier events of a batch', async () => {
    const app = processor(undefined, 2_000)
    const valid = statesEvent({ time: T0, states: [stateRow({ lastContact: T0 })] })
    const binary = asBinary(valid)
    const headers = binary.headers as Record<string, string>
    const cases: [string, RequestInit, number, RegExp][] = [
      ['malformed JSON', { ...binary, body: '{"time": 1, "states": [' }, 400, /malformed JSON/],
      [
        'no CloudEvent headers',
        { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
        400,
        /CloudEvent/,
      ],
      [
        'missing ce-source',
        { ...binary, headers: { ...headers, 'ce-source': '' } },
        400,
        /CloudEvent/,
      ],
      [
        'no ce-specversion',
        { ...binary, headers: withoutHeader(headers, 'ce-specversion') },
        400,
        /the request lacks the required attribute specversion/,
      ],
      [
        'structured without id',
        asStructuredJson({ ...valid.toJSON(), id: undefined }),
        400,
        /the event lacks the required attribute id/,
      ],
      [
        'batched without id and source',
        {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents-batch+json' },
          body: JSON.stringify([valid.toJSON(), { ...valid.toJSON(), id: '', source: null }]),
        },
        400,
        /event 1 of the batch lacks the required attributes id, source/,
      ],
      [
        'a batch that is not an array',
        {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents-batch+json' },
          body: JSON.stringify(valid.toJSON()),
        },
        400,
        /a batch must be a JSON array/,
      ],
      [
        'JSON declared as XML',
        { ...binary, headers: { ...headers, 'content-type': 'application/xml' } },
        400,
        /content type application\/xml is not JSON/,
      ],
      [
        'wrong type',
        asBinary(statesEvent({ time: T0, states: [] }, { type: 'com.example.other' })),
        400,
        /unsupported event type/,
      ],
      [
        'not an envelope',
        asBinary(statesEvent({ states: 'many' })),
        400,
        /not an OpenSky states envelope/,
      ],
      [
        'text data',
        asBinary(
          new CloudEvent({
            type: valid.type,
            source: '/t',
            datacontenttype: 'text/plain',
            data: 'hello',
          })
        ),
        400,
        /not JSON/,
      ],
      [
        'another spec version',
        { ...binary, headers: { ...headers, 'ce-specversion': '2.0' } },
        400,
        /specversion "2.0"; expected 1.0/,
      ],
      [
        'an unreadable time, which the SDK would replace by the current one',
        { ...binary, headers: { ...headers, 'ce-time': 'yesterday' } },
        400,
        /the time of the request, "yesterday", is not an RFC 3339 timestamp/,
      ],
      [
        'an unreadable time in structured mode',
        asStructuredJson({ ...valid.toJSON(), time: 'yesterday' }),
        400,
        /the time of the event, "yesterday", is not an RFC 3339 timestamp/,
      ],
      [
        'an id too long for the inbox index (was a 500, retried)',
        { ...binary, headers: { ...headers, 'ce-id': 'x'.repeat(3000) } },
        400,
        /attribute id of the event is longer than 1024 bytes/,
      ],
      [
        'ids that PostgreSQL would store alike (lone surrogates)',
        asStructuredJson({ ...valid.toJSON(), id: 'evt-\ud800' }),
        400,
        /attribute id of the event is not valid Unicode text/,
      ],
      [
        'an extension that is an object',
        asStructuredJson({ ...valid.toJSON(), partitionkey: { a: 1 } }),
        400,
        /attribute partitionkey of the event is not a string, number or boolean/,
      ],
      [
        'a NUL in the id (PostgreSQL cannot store it: was a 422)',
        asStructuredJson({ ...valid.toJSON(), id: 'evt\u00001' }),
        400,
        /attribute id of the event contains a NUL character/,
      ],
      [
        'data from the future, which would freeze its aircraft',
        asBinary(
          statesEvent({
            time: Math.floor(Date.now() / 1000) + 3600,
            states: [stateRow({ lastContact: Math.floor(Date.now() / 1000) + 3600 })],
          })
        ),
        400,
        /event data time \d+ lies 3\d{3} s ahead of this processor's clock/,
      ],
      [
        'a bad event in a batch',
        asBatch([valid, statesEvent({ time: 'soon', states: [] }, { id: 'late-1' })]),
        400,
        /^event 1 of the batch \(id late-1\): event data is not an OpenSky states envelope/,
      ],
      [
        'a compressed body',
        { ...binary, headers: { ...headers, 'content-encoding': 'gzip' } },
        400,
        /content-encoding gzip is not supported/,
      ],
      [
        'another charset',
        {
          ...binary,
          headers: { ...headers, 'content-type': 'application/json; charset=iso-8859-1' },
        },
        400,
        /charset iso-8859-1 is not supported/,
      ],
      [
        'too large',
        asBinary(
          statesEvent({
            time: T0,
            states: Array.from({ length: 100 }, () => stateRow({ lastContact: T0 })),
          })
        ),
        413,
        /exceeds/,
      ],
    ]
    for (const [name, init, status, message] of cases) {
      const response = await app.request('/', init)
      expect(response.status, name).toBe(status)
      expect(((await response.json()) as { error: string }).error, name).toMatch(message)
    }
    expect(await flightData()).toEqual({ live: [], flights: [] })
    expect(await rows('SELECT 1 FROM processed_events')).toEqual([])
  })

  it('lets several processors write overlapping aircraft at once without deadlocks or lost updates', async () => {
    const writers = Array.from({ length: 4 }, (_, i) => deadlockCountingPool(`processor-${i}`))
    const apps = writers.map((writer) => processorOn(writer.pool))
    const aircraft = Array.from({ length: 300 }, (_, i) => (0xa00000 + i).toString(16))
    // 4 writers x 6 rounds; every batch overlaps every other and arrives in a random order.
    const deliveries = apps.flatMap((app, writer) =>
      Array.from({ length: 6 }, (_, round) => {
        const time = T0 + round * 30 + writer
        const states = aircraft
          .map((icao24, i) =>
            stateRow({ icao24, lastContact: time, lat: 45 + (i % 10) / 10 + writer / 100 })
          )
          .sort(() => Math.random() - 0.5)
        return { app, event: statesEvent({ time, states }) }
      })
    )
    const results = await Promise.all(
      deliveries.map(({ app, event }) => deliver(app, asBinary(event)))
    )
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200))
    expect(writers.map((writer) => writer.deadlocks)).toEqual([0, 0, 0, 0])

    const newest = T0 + 5 * 30 + 3
    const live = await rows<{ n: number; newest: number }>(
      'SELECT count(*)::int AS n, min(extract(epoch FROM last_contact))::int AS newest FROM live_flights'
    )
    expect(live[0]).toEqual({ n: 300, newest })
    const flights = await rows<{ n: number; open: number; orphans: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE end_time IS NULL)::int AS open,
              count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM live_flights l WHERE l.flight_uuid = f.flight_uuid))::int AS orphans
       FROM flight_histories f`
    )
    expect(flights[0]).toEqual({ n: 300, open: 300, orphans: 0 })
  })

  it('updates known aircraft in place: no index entries written (HOT updates)', async () => {
    const aircraft = Array.from({ length: 2000 }, (_, i) => (0xb00000 + i).toString(16))
    /** Applies one state per aircraft, `seconds` on, and counts the live rows it updated. */
    const applyAt = (seconds: number) =>
      withTransaction(database().pool, async (client) => {
        // A connection's counts add up until it reports them, so take the difference.
        const counts = async () =>
          (
            await client.query<{ updated: number; hot: number }>(
              `SELECT pg_stat_get_xact_tuples_updated('live_flights'::regclass)::int AS updated,
                      pg_stat_get_xact_tuples_hot_updated('live_flights'::regclass)::int AS hot`
            )
          ).rows[0]!
        const before = await counts()
        await applyStates(
          client,
          aircraft.map((icao24) => liveState(icao24, seconds)),
          RULES
        )
        const after = await counts()
        return { updated: after.updated - before.updated, hot: after.hot - before.hot }
      })

    expect(await applyAt(0)).toEqual({ updated: 0, hot: 0 })
    // One update of every row fits in the free half of each page. Later ones reuse the space of
    // the versions they replaced, once PostgreSQL prunes them, which an older transaction anywhere
    // on the server (another test file's) holds back: not something to assert here.
    expect(await applyAt(10)).toEqual({ updated: 2000, hot: 2000 })
  })

  it('writes the events of a batch a transaction each: batches in another order do not deadlock', async () => {
    const writer = deadlockCountingPool('processor-batches')
    const app = processorOn(writer.pool)
    const event = (aircraft: string[], time: number) =>
      statesEvent({
        time,
        states: aircraft.map((icao24) => stateRow({ icao24, lastContact: time })),
      })
    const setA = ['a1a000', 'a1a001']
    const setB = ['b1b000', 'b1b001']
    expect((await deliver(app, asBinary(event([...setA, ...setB], T0)))).status).toBe(200)
    // Blockers on one aircraft of each set line the two batches up: [A, B] waits on A, [B, A]
    // on B; once A is free, the first holds A and waits on B, where the second is ahead of it.
    const blockers = await Promise.all([database().pool.connect(), database().pool.connect()])
    for (const [blocker, icao24] of [
      [blockers[0], setA[0]],
      [blockers[1], setB[0]],
    ] as const) {
      await blocker.query('BEGIN')
      await blocker.query('SELECT 1 FROM live_flights WHERE icao24 = $1 FOR UPDATE', [icao24])
    }
    const first = deliver(app, asBatch([event(setA, T0 + 10), event(setB, T0 + 10)]))
    await untilWaitingOnLock(database().pool, 'processor-batches', 1)
    const second = deliver(app, asBatch([event(setB, T0 + 20), event(setA, T0 + 20)]))
    await untilWaitingOnLock(database().pool, 'processor-batches', 2)
    await blockers[0].query('COMMIT')
    await new Promise((resolve) => setTimeout(resolve, 200))
    await blockers[1].query('COMMIT')
    blockers.forEach((blocker) => blocker.release())

    expect((await first).status).toBe(200)
    expect((await second).status).toBe(200)
    expect(writer.deadlocks).toBe(0)
    const { rows: newest } = await database().pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM live_flights WHERE last_contact = to_timestamp($1)`,
      [T0 + 20]
    )
    expect(newest[0]?.n).toBe(4)
  })

  it('answers 503 when the database cannot be reached, and readiness says so', async () => {
    const app = processor('postgres://postgres@127.0.0.1:1/nowhere')
    const response = await app.request('/', asBinary(statesEvent({ time: T0, states: [] })))
    expect(response.status).toBe(503)
    expect(((await response.json()) as { error: string }).error).toMatch(/database unavailable/)
    expect((await app.request('/health/readiness')).status).toBe(503)
    expect((await processor().request('/health/readiness')).status).toBe(200)
  })

  it('gives the same flights when the same data is replayed into a fresh database', async () => {
    const events = Array.from({ length: 8 }, (_, i) => {
      // One poll far ahead: its second aircraft starts a new flight, and comes back after it.
      const time = T0 + i * 200 + (i === 5 ? 2000 : 0)
      return statesEvent({
        time,
        states: [
          stateRow({ lastContact: T0 + i * 200, lat: 47 + i / 10 }),
          stateRow({ icao24: 'abcdef', lastContact: time, lat: 46 }),
        ],
      })
    })
    const replay = async () => {
      await database().pool.query(
        'TRUNCATE live_flights, flight_histories, pipeline_status, processed_events'
      )
      const app = processor()
      for (const event of events) {
        await deliver(app, asBinary(event))
      }
      return rows(
        'SELECT icao24, start_time, end_time, route_data FROM flight_histories ORDER BY icao24, start_time'
      )
    }
    const first = await replay()
    expect(first.length).toBeGreaterThan(2)
    expect(await replay()).toEqual(first)
  })
})
