import { CloudEvent } from 'cloudevents'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'

import { PING_EVENT_TYPE } from '../../shared/events/index.ts'
import { silentLogger } from '../../shared/logger.ts'
import { asBinary, asStructured } from '../../tests/fixtures/events.ts'
import { loadSample } from '../../tests/fixtures/opensky.ts'
import {
  fakeSource,
  memorySink,
  type MemorySinkOptions,
  statesResult,
} from '../../tests/fixtures/producer.ts'
import { createApp } from './app.ts'
import { createProducerMetrics } from './metrics.ts'
import { createPoller } from './poller.ts'
import type { PollResult } from './sources/source.ts'

const tick = () =>
  new CloudEvent<unknown>({
    type: PING_EVENT_TYPE,
    source: '/apis/v1/namespaces/skytrail/pingsources/producer-tick',
    data: {},
  })

function app(results: PollResult[], sink: MemorySinkOptions | number = 0) {
  const registry = new Registry()
  const poller = createPoller({
    source: fakeSource(results),
    sink: memorySink(sink),
    buckets: 6,
    logger: silentLogger,
    metrics: createProducerMetrics(registry),
  })
  return createApp({ poller, logger: silentLogger, registry })
}

describe('producer app', () => {
  it('answers a PingSource tick with the poll report', async () => {
    const res = await app([statesResult(loadSample('sample-1'))]).request('/', asBinary(tick()))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'polled', states: 46, events: 6 })
  })

  it('accepts ticks in structured mode too', async () => {
    const res = await app([statesResult(loadSample('sample-2'))]).request('/', asStructured(tick()))
    expect(res.status).toBe(200)
  })

  it('answers 200 for a skipped tick, so PingSource does not retry it', async () => {
    const skipped: PollResult = {
      kind: 'skipped',
      reason: 'pacing',
      message: 'credit budget: next poll at 2026-03-10T12:01:05.000Z',
      creditsRemaining: 100,
      nextPollAt: Date.UTC(2026, 2, 10, 12, 1, 5),
    }
    const res = await app([skipped]).request('/', asBinary(tick()))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      status: 'skipped',
      reason: 'pacing',
      nextPollAt: '2026-03-10T12:01:05.000Z',
    })
  })

  it('answers 502 when OpenSky failed and 503 when delivery failed (both retried)', async () => {
    const failed: PollResult = {
      kind: 'failed',
      errorKind: 'opensky_timeout',
      message: 'OpenSky request failed: timed out',
      creditsRemaining: null,
      nextPollAt: null,
    }
    const upstream = await app([failed]).request('/', asBinary(tick()))
    expect(upstream.status).toBe(502)
    expect(await upstream.json()).toMatchObject({
      error: 'OpenSky request failed: timed out',
      details: { status: 'failed', reason: 'opensky_timeout' },
    })
    const sink = await app([statesResult(loadSample('sample-2'))], 1).request('/', asBinary(tick()))
    expect(sink.status).toBe(503)
    expect(await sink.json()).toMatchObject({ details: { reason: 'sink' } })
  })

  it('rejects events that are not ticks, and malformed requests, with 400', async () => {
    const other = new CloudEvent<unknown>({ type: 'dev.example.other', source: '/x', data: {} })
    const res = await app([]).request('/', asBinary(other))
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: `unsupported event type "dev.example.other"; expected ${PING_EVENT_TYPE}`,
    })
    const garbage = await app([]).request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(garbage.status).toBe(400)
  })

  it('shows its state on /status and counts ticks on /metrics', async () => {
    const producer = app([statesResult(loadSample('sample-1'))])
    await producer.request('/', asBinary(tick()))
    const status = await producer.request('/status')
    expect(await status.json()).toMatchObject({
      source: 'simulate',
      sink: 'http',
      pendingEvents: 0,
      lastTick: { status: 'polled' },
      fake: true,
    })
    const metrics = await (await producer.request('/metrics')).text()
    expect(metrics).toContain('skytrail_producer_polls_total{source="simulate",outcome="polled"')
    expect(metrics).toContain('skytrail_producer_states_emitted_total')
  })

  it('answers 500, which PingSource does not retry, when the sink refused events for good', async () => {
    const producer = app([statesResult(loadSample('sample-2'))], {
      rejects: (event) => event.partitionkey === '2',
    })
    const res = await producer.request('/', asBinary(tick()))
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({
      error: expect.stringMatching(/^1 events refused for good by the sink and dropped/) as string,
      details: { status: 'failed', reason: 'sink-rejected', rejected: 1, pending: 0 },
    })
  })

  it('answers 405 with the allowed methods on its paths', async () => {
    const status = await app([]).request('/status', { method: 'POST' })
    expect(status.status).toBe(405)
    expect(status.headers.get('Allow')).toBe('GET, HEAD, OPTIONS')
    const ticks = await app([]).request('/', { method: 'PUT' })
    expect(ticks.status).toBe(405)
    expect(ticks.headers.get('Allow')).toBe('OPTIONS, POST')
  })

  it('answers 413 for a tick body over 64 KiB', async () => {
    const response = await app([]).request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: 'x'.repeat(64 * 1024 + 1),
    })
    expect(response.status).toBe(413)
  })
})
