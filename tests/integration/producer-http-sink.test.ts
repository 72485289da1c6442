/**
 * The HTTP sink (K_SINK, CloudEvents binary mode) against a local receiver that decodes with the
 * SDK, and the whole producer from a PingSource tick to the receiver: replayed and live
 * (fake OpenSky) polls.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

import { CloudEvent, HTTP } from 'cloudevents'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { type StatesEventData, toStatesEvents } from '../../functions/producer/events.ts'
import { createHttpSink } from '../../functions/producer/sinks/http-sink.ts'
import { SinkError } from '../../functions/producer/sinks/sink.ts'
import { PING_EVENT_TYPE } from '../../shared/events/index.ts'
import { silentLogger } from '../../shared/logger.ts'
import { asBinary } from '../fixtures/events.ts'
import { loadSample } from '../fixtures/opensky.ts'
import { buildProducer } from '../fixtures/producer.ts'

interface Received {
  headers: IncomingHttpHeaders
  body: string
  event: CloudEvent<StatesEventData>
}

/** Receives CloudEvents like the processor would: decodes each request with HTTP.toEvent. */
function receiver() {
  const received: Received[] = []
  const statuses: number[] = []
  const statusesById = new Map<string, number[]>()
  const onAccepted = new Map<string, () => void>()
  let requests = 0
  let server: Server | undefined
  return {
    received,
    /** Requests answered, accepted or not. */
    requests: () => requests,
    /** Statuses to answer before accepting (e.g. [503, 503] = fail twice). */
    failWith: (...codes: number[]) => statuses.push(...codes),
    /** Statuses to answer the event with this id before accepting it. */
    failEventWith: (id: string, ...codes: number[]) => statusesById.set(id, codes),
    /** Resolves once the event with this id is accepted. */
    accepted: (id: string) =>
      new Promise<void>((resolve) => {
        if (received.some(({ event }) => event.id === id)) {
          resolve()
        } else {
          onAccepted.set(id, resolve)
        }
      }),
    reset() {
      received.length = 0
      statuses.length = 0
      statusesById.clear()
      onAccepted.clear()
      requests = 0
    },
    async start(): Promise<string> {
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (chunk: Buffer) => (body += chunk.toString()))
        req.on('end', () => {
          requests++
          const status = statusesById.get(String(req.headers['ce-id']))?.shift() ?? statuses.shift()
          if (status) {
            res.writeHead(status).end('{"error":"try later"}')
            return
          }
          const event = HTTP.toEvent({ headers: req.headers, body }) as CloudEvent<StatesEventData>
          received.push({ headers: req.headers, body, event })
          res.writeHead(202).end()
          onAccepted.get(event.id)?.()
        })
      })
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    },
    stop: () => new Promise<void>((resolve) => server?.close(() => resolve())),
  }
}

const tick = () =>
  asBinary(
    new CloudEvent<unknown>({
      type: PING_EVENT_TYPE,
      source: '/apis/v1/namespaces/skytrail/pingsources/producer',
      data: {},
    })
  )

describe('HTTP sink', () => {
  const sink = receiver()
  let url: string
  beforeAll(async () => {
    url = await sink.start()
  })
  afterAll(() => sink.stop())
  afterEach(() => sink.reset())

  const events = () =>
    toStatesEvents(loadSample('sample-1'), {
      source: '/skytrail/producer/bbox/1,2,3,4',
      buckets: 6,
    }).events

  it('posts each event in binary mode; the SDK decodes the same attributes and data', async () => {
    const sent = events()
    const result = await createHttpSink({
      url,
      timeoutMs: 2000,
      retries: 0,
      logger: silentLogger,
    }).send(sent)
    expect(sink.received).toHaveLength(6)
    expect(result.bytes).toBe(
      sink.received.reduce((sum, { body }) => sum + Buffer.byteLength(body), 0)
    )
    for (const { headers, event } of sink.received) {
      expect(headers['ce-id']).toBeDefined() // binary mode: attributes in headers
      expect(headers['content-type']).toBe('application/json')
      const original = sent.find((candidate) => candidate.id === event.id)!
      expect(event).toMatchObject({
        id: original.id,
        source: original.source,
        type: original.type,
        time: original.time,
        datacontenttype: 'application/json',
        partitionkey: original.partitionkey,
      })
      expect(event.data).toEqual(original.data)
    }
    // the body is the data's JSON text, encoded once
    for (const { body, event } of sink.received) {
      expect(JSON.parse(body)).toEqual(sent.find(({ id }) => id === event.id)!.data)
    }
  })

  /** One event after another, fast backoff. */
  const serialSink = (retries: number) =>
    createHttpSink({
      url,
      timeoutMs: 2000,
      retries,
      retryBaseDelayMs: 1,
      concurrency: 1,
      logger: silentLogger,
    })

  /** Sends two events; the receiver answers the first request with what `failWith` queued. */
  const sendTwo = async (retries: number) => {
    const sent = events().slice(0, 2)
    const failure = await serialSink(retries)
      .send(sent)
      .catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(SinkError)
    expect(sink.received.map(({ event }) => event.id)).toEqual([sent[1]!.id])
    return { sent, failure: failure as SinkError }
  }

  it('retries a 503, 429 or 408 answer with backoff', async () => {
    sink.failWith(503, 429, 408)
    await serialSink(3).send(events().slice(0, 1))
    expect(sink.received).toHaveLength(1)
  })

  it('gives up after its retries and names the undelivered events', async () => {
    sink.failWith(500, 500, 500)
    const { sent, failure } = await sendTwo(1)
    expect(failure.undelivered).toEqual([sent[0]])
    expect(failure.rejected).toEqual([])
    expect(failure.message).toMatch(/answered 500/)
  })

  it('rejects an event answered 413 or 400 for good at once, without retrying it', async () => {
    for (const status of [413, 400]) {
      sink.reset()
      sink.failWith(status)
      const { sent, failure } = await sendTwo(3)
      expect(failure.rejected).toEqual([sent[0]])
      expect(failure.undelivered).toEqual([])
      expect(failure.message).toContain(`answered ${status}`)
      expect(sink.requests()).toBe(2)
    }
  })

  it("stops at the deadline it is given and keeps the events for later, without waiting out each attempt's timeout", async () => {
    // A receiver that takes every request and never answers.
    const silent = createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const sent = events()
      const failure = await createHttpSink({
        url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`,
        // without the deadline: 5 attempts of 30 s each, longer than this test may take
        timeoutMs: 30_000,
        retries: 4,
        logger: silentLogger,
      })
        .send(sent, AbortSignal.timeout(200))
        .catch((err: unknown) => err)
      expect(failure).toBeInstanceOf(SinkError)
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id)
      expect([...(failure as SinkError).undelivered].sort(byId)).toEqual(sent.sort(byId))
      expect((failure as SinkError).message).toMatch(/the tick's time ran out/)
    } finally {
      silent.closeAllConnections()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  describe('with an older and a newer poll of bucket 0 and bucket 1 of the older', () => {
    const source = '/skytrail/producer/bbox/1,2,3,4'
    const [older0, older1] = toStatesEvents(loadSample('sample-1'), { source, buckets: 6 }).events
    const [newer0] = toStatesEvents(loadSample('sample-2'), { source, buckets: 6 }).events

    it('delivers a bucket oldest first while its older event is in backoff, other buckets meanwhile', async () => {
      sink.failEventWith(older0!.id, 503)
      await createHttpSink({
        url,
        timeoutMs: 2000,
        retries: 1,
        logger: silentLogger,
        // the backoff ends once bucket 1 got through: it was not held up by bucket 0
        sleep: () => sink.accepted(older1!.id),
      }).send([older0!, older1!, newer0!])
      expect(sink.received.map(({ event }) => event.id)).toEqual([
        older1!.id,
        older0!.id,
        newer0!.id,
      ])
    })

    it('keeps the newer event of a bucket undelivered behind an older one that failed', async () => {
      sink.failEventWith(older0!.id, 500)
      const failure = await createHttpSink({
        url,
        timeoutMs: 2000,
        retries: 0,
        logger: silentLogger,
      })
        .send([older0!, older1!, newer0!])
        .catch((err: unknown) => err)
      expect(failure).toBeInstanceOf(SinkError)
      expect((failure as SinkError).undelivered).toEqual([older0, newer0])
      expect(sink.received.map(({ event }) => event.id)).toEqual([older1!.id])
    })
  })
})

describe('producer, tick to K_SINK', () => {
  const sink = receiver()
  let url: string
  beforeAll(async () => {
    url = await sink.start()
  })
  afterAll(() => sink.stop())
  afterEach(() => sink.reset())

  it('replays a real response on a PingSource tick: all its aircraft, one event per bucket', async () => {
    const { producer, app } = await buildProducer({
      K_SINK: url,
      PRODUCER_SOURCE: 'replay',
      REPLAY_PATH: fileURLToPath(new URL('../fixtures/opensky/sample-1.json', import.meta.url)),
    })
    try {
      const res = await app.request('/', tick())
      expect(res.status).toBe(200)
      const report = (await res.json()) as { status: string; states: number; dataTime: number }
      expect(report).toMatchObject({ status: 'polled', states: 46, events: 6 })
      expect(sink.received).toHaveLength(6)
      const rows = sink.received.flatMap(({ event }) => event.data!.states as unknown[][])
      const original = loadSample('sample-1').states as unknown[][]
      expect(rows.map((row) => row[0]).sort()).toEqual(original.map((row) => row[0]).sort())
      for (const { event } of sink.received) {
        expect(event.source).toBe('/skytrail/producer/replay')
        expect(event.data!.time).toBe(report.dataTime)
        expect(event.id).toBe(`${report.dataTime}-${String(event.partitionkey)}-of-6`)
      }
    } finally {
      await producer.close()
    }
  })

  it('polls a (fake) live OpenSky with credentials and emits the response', async () => {
    const opensky = createServer((req, res) => {
      if (req.url === '/token') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"access_token":"t","expires_in":1800}')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json', 'X-Rate-Limit-Remaining': '3994' })
      res.end(JSON.stringify(loadSample('sample-2')))
    })
    await new Promise<void>((resolve) => opensky.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(opensky.address() as AddressInfo).port}`
    const { producer, app, registry } = await buildProducer({
      K_SINK: url,
      OPENSKY_API_URL: `${base}/api`,
      OPENSKY_AUTH_URL: `${base}/token`,
      OPENSKY_CLIENT_ID: 'id',
      OPENSKY_CLIENT_SECRET: 'secret',
      KAFKA_PARTITIONS: '3',
    })
    try {
      const first = await app.request('/', tick())
      expect(await first.json()).toMatchObject({
        status: 'polled',
        states: 6,
        events: 3,
        creditsRemaining: 3994,
        dataTime: 1518552809,
      })
      // the next tick comes too early for the standard tier's budget
      const second = await app.request('/', tick())
      expect(second.status).toBe(200)
      expect(await second.json()).toMatchObject({ status: 'skipped', reason: 'pacing' })
      expect(sink.received.map(({ event }) => event.source)).toEqual(
        Array(3).fill('/skytrail/producer/bbox/45.8,5.9,55.1,17.2')
      )
      expect(await registry.metrics()).toContain(
        'skytrail_producer_opensky_credits_remaining{source="opensky"} 3994'
      )
    } finally {
      await producer.close()
      await new Promise<void>((resolve) => opensky.close(() => resolve()))
    }
  })

  it('answers 500 when the receiver refuses an event for good, and the next tick polls and delivers', async () => {
    const { producer, app, registry } = await buildProducer({
      K_SINK: url,
      PRODUCER_SOURCE: 'simulate',
      SIMULATION_AIRCRAFT: '300',
      SINK_RETRIES: '3',
    })
    try {
      sink.failWith(413)
      const refused = await app.request('/', tick())
      expect(refused.status).toBe(500)
      expect(await refused.json()).toMatchObject({
        details: { status: 'failed', reason: 'sink-rejected', rejected: 1, pending: 0 },
      })
      expect(sink.requests()).toBe(6)
      expect(sink.received).toHaveLength(5)

      const next = await app.request('/', tick())
      expect(next.status).toBe(200)
      expect(await next.json()).toMatchObject({ status: 'polled', events: 6, resent: 0 })
      expect(sink.received).toHaveLength(11)
      expect(await registry.metrics()).toContain(
        'skytrail_producer_events_dropped_total{reason="rejected"} 1'
      )
    } finally {
      await producer.close()
    }
  })
})
