import { CloudEvent } from 'cloudevents'
import { afterAll, describe, expect, it } from 'vitest'

import { createPool } from '../../shared/db/pool.ts'
import { PING_EVENT_TYPE } from '../../shared/events/index.ts'
import { silentLogger } from '../../shared/logger.ts'
import { asBatch, asBinary } from '../../tests/fixtures/events.ts'
import { capturingLogger } from '../../tests/helpers/logger.ts'
import { createApp } from './app.ts'
import { loadConfig } from './config.ts'

// Never connected to: every request here is rejected before the tick touches the database.
const pool = createPool('postgres://sweeper@127.0.0.1:1/none', {
  applicationName: 'sweeper-unit',
  logger: silentLogger,
})

function sweeper(env: Record<string, string> = {}, logger = silentLogger) {
  return createApp({
    config: loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1:1/none', ...env }),
    logger,
    pool,
  })
}

function event(type: string) {
  return new CloudEvent<unknown>({ type, source: '/tests', id: 'e1', data: {} })
}

afterAll(async () => {
  await pool.end()
})

describe('sweeper app', () => {
  it('rejects an event that is not a PingSource tick with 400 naming its type', async () => {
    const response = await sweeper().request('/', asBinary(event('dev.skytrail.opensky.states.v1')))
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: `unsupported event type "dev.skytrail.opensky.states.v1"; expected ${PING_EVENT_TYPE}`,
    })
  })

  it('rejects a batch that mixes a tick with another event', async () => {
    const response = await sweeper().request(
      '/',
      asBatch([event(PING_EVENT_TYPE), event('dev.knative.kafka.event')])
    )
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: /dev\.knative\.kafka\.event/ })
  })

  it('rejects an empty batch and a request that is not a CloudEvent', async () => {
    const empty = await sweeper().request('/', asBatch([]))
    expect(empty.status).toBe(400)
    expect(await empty.json()).toEqual({
      error: 'the request holds no CloudEvent (an empty batch)',
    })

    const plain = await sweeper().request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(plain.status).toBe(400)
    expect(await plain.json()).toMatchObject({ error: /not a valid CloudEvent/ })
  })

  it('answers liveness without the database', async () => {
    const response = await sweeper().request('/health/liveness')
    expect(response.status).toBe(200)
  })

  it('says once at start-up whether the Kafka lag check is on', () => {
    const off = capturingLogger()
    sweeper({}, off.logger)
    expect(off.lines.map((line) => line.msg)).toContain(
      'Kafka lag check off: KAFKA_BROKERS is not set'
    )

    const on = capturingLogger()
    sweeper({ KAFKA_BROKERS: '127.0.0.1:1', KAFKA_CONSUMER_GROUP: 'g1' }, on.logger)
    expect(on.lines).toContainEqual(
      expect.objectContaining({ msg: 'Kafka lag check on', consumerGroup: 'g1' })
    )
  })

  it('answers 405 naming POST for another method on its tick path', async () => {
    const response = await sweeper().request('/', { method: 'GET' })
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('OPTIONS, POST')
  })

  it('answers 413 for a tick body over 64 KiB before reading it', async () => {
    const response = await sweeper().request('/', {
      ...asBinary(event(PING_EVENT_TYPE)),
      body: 'x'.repeat(64 * 1024 + 1),
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({
      error: 'request body exceeds the limit of 65536 bytes',
    })
  })
})
