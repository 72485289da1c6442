import { describe, expect, it } from 'vitest'

import { OPENSKY_STATES_EVENT_TYPE } from '../../shared/events/index.ts'
import { createMetricsRegistry } from '../../shared/http/metrics.ts'
import type { Logger } from '../../shared/logger.ts'
import { silentLogger } from '../../shared/logger.ts'
import { asBatch, asBinary, asStructured, statesEvent } from '../../tests/fixtures/events.ts'
import { loadSample } from '../../tests/fixtures/opensky.ts'
import { capturingLogger } from '../../tests/helpers/logger.ts'
import { createApp } from './app.ts'
import type { Delivery, DeliverySummary, DeliveryWriter } from './delivery.ts'

function appWith(write: DeliveryWriter, logger: Logger = silentLogger) {
  return createApp({
    maxBodyBytes: 1024 * 1024,
    logger,
    metrics: createMetricsRegistry('processor'),
    writeDeliveries: write,
    readiness: () => Promise.resolve(),
  })
}

const summaryOf = (delivery: Delivery): DeliverySummary => ({
  eventId: delivery.id,
  duplicate: false,
  received: delivery.received,
  accepted: delivery.states.length,
  dropped: {
    invalid: delivery.droppedInvalid,
    noPosition: delivery.droppedNoPosition,
    duplicate: 0,
    stale: 0,
  },
  upserted: delivery.states.length,
  flightsStarted: 0,
  flightsEnded: 0,
  waypointsAppended: 0,
})

describe('processor app', () => {
  it('hands validated, prepared states to the writer and answers with its summary', async () => {
    const written: Delivery[] = []
    const app = appWith((deliveries, onCommitted) => {
      written.push(...deliveries)
      const summaries = deliveries.map(summaryOf)
      summaries.forEach((summary, index) => onCommitted(summary, deliveries[index]!))
      return Promise.resolve(summaries)
    })
    const event = statesEvent(loadSample('sample-2'), { extensions: { partitionkey: '4' } })
    const response = await app.request('/', asStructured(event))

    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ eventId: event.id, received: 6, accepted: 5 })
    expect(written[0]).toMatchObject({
      stream: 'key:4',
      dataTime: 1518552809,
      droppedNoPosition: 1,
    })
  })

  it('answers 400 with the problem when the data is not a states envelope, without writing', async () => {
    let calls = 0
    const app = appWith(() => {
      calls++
      return Promise.resolve([])
    })
    const response = await app.request(
      '/',
      asBinary(statesEvent({ time: 'yesterday', states: [] }))
    )
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      error: expect.stringMatching(/OpenSky states envelope/) as unknown,
      details: [expect.stringMatching(/^data\.time: /) as unknown],
    })
    expect(calls).toBe(0)
  })

  it('logs why it rejected a delivery', async () => {
    const { logger, lines } = capturingLogger()
    const app = appWith(() => Promise.resolve([]), logger)
    const bad = statesEvent({ time: 'yesterday', states: [] })
    await app.request('/', asBinary(bad))
    const big = statesEvent({ time: 1, states: [], padding: 'x'.repeat(2 * 1024 * 1024) })
    await app.request('/', asBinary(big))
    const other = statesEvent({ time: 1, states: [] }, { type: 'com.example.other' })
    await app.request('/', asBinary(other))
    expect(lines).toMatchObject([
      {
        level: 'warn',
        status: 400,
        msg: 'event data is not an OpenSky states envelope {time, states}',
        details: [expect.stringMatching(/^data\.time: /) as unknown],
        events: [{ id: bad.id, source: bad.source }],
      },
      { level: 'warn', status: 413, msg: 'request body exceeds the limit of 1048576 bytes' },
      { level: 'warn', status: 400, events: [{ id: other.id, source: other.source }] },
    ])
  })

  it('answers 503 when the database is unavailable, so Knative retries', async () => {
    const app = appWith(() =>
      Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
      )
    )
    const response = await app.request('/', asBinary(statesEvent({ time: 1, states: [] })))
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({ error: 'database unavailable (ECONNREFUSED)' })
    const metrics = await (await app.request('/metrics')).text()
    expect(metrics).toMatch(/skytrail_processor_database_errors_total\{service="processor"\} 1/)
  })

  it('counts and logs the events of a batch committed before a later one failed', async () => {
    const { logger, lines } = capturingLogger()
    const app = appWith(([first], onCommitted) => {
      onCommitted(summaryOf(first!), first!)
      return Promise.reject(
        Object.assign(new Error('the database system is shutting down'), { code: '57P01' })
      )
    }, logger)
    const events = [statesEvent(loadSample('sample-2')), statesEvent(loadSample('sample-1'))]
    const response = await app.request('/', asBatch(events))

    expect(response.status).toBe(503)
    expect(lines.filter((line) => line.msg === 'delivery committed')).toMatchObject([
      { delivery: { eventId: events[0]!.id, accepted: 5 } },
    ])
    const metrics = await (await app.request('/metrics')).text()
    expect(metrics).toMatch(
      /skytrail_processor_deliveries_total\{result="committed",service="processor"\} 1\n/
    )
    expect(metrics).toMatch(
      /skytrail_processor_states_total\{outcome="accepted",service="processor"\} 5\n/
    )
  })

  it('answers 422 when the database refuses the data, so the event goes to the dead-letter sink', async () => {
    const app = appWith(() =>
      Promise.reject(Object.assign(new Error('timestamp out of range'), { code: '22008' }))
    )
    const response = await app.request('/', asBinary(statesEvent({ time: 1, states: [] })))
    expect(response.status).toBe(422)
    expect(await response.json()).toEqual({
      error: 'the database refused the data: timestamp out of range',
    })
  })

  it('answers 500 for unexpected errors, never 404 or 409', async () => {
    const app = appWith(() => Promise.reject(new Error('bug')))
    const response = await app.request('/', asBinary(statesEvent({ time: 1, states: [] })))
    expect(response.status).toBe(500)
  })

  it('answers 413 for a body over the limit', async () => {
    const app = appWith(() => Promise.resolve([]))
    const big = statesEvent({ time: 1, states: [], padding: 'x'.repeat(2 * 1024 * 1024) })
    const response = await app.request('/', asBinary(big))
    expect(response.status).toBe(413)
  })

  it('serves liveness, readiness and metrics', async () => {
    const app = appWith(() => Promise.resolve([]))
    expect((await app.request('/health/liveness')).status).toBe(200)
    expect((await app.request('/health/readiness')).status).toBe(200)
    expect(await (await app.request('/metrics')).text()).toMatch(/skytrail_processor_states_total/)
    expect(OPENSKY_STATES_EVENT_TYPE).toBe('dev.skytrail.opensky.states.v1')
  })

  it('answers 405 naming POST for another method on its event path', async () => {
    const response = await appWith(() => Promise.resolve([])).request('/', { method: 'GET' })
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('OPTIONS, POST')
    expect(await response.json()).toEqual({
      error: 'method GET is not allowed on /; allowed: OPTIONS, POST',
    })
  })
})
