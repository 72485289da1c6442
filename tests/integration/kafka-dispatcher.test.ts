import type { IncomingHttpHeaders } from 'node:http'
import { createServer } from 'node:http'

import { CloudEvent, HTTP, Kafka as KafkaBinding } from 'cloudevents'
import type { Consumer, Producer } from 'kafkajs'
import { afterAll, beforeAll, expect, it } from 'vitest'

import type { KafkaDispatcher } from '../../scripts/local/kafka-dispatcher.ts'
import { startKafkaDispatcher } from '../../scripts/local/kafka-dispatcher.ts'
import { KAFKA_RECORD_EVENT_TYPE } from '../../shared/events/index.ts'
import { recordHeaders, toKafkaRecord } from '../../shared/kafka/binary-record.ts'
import { silentLogger } from '../../shared/logger.ts'
import {
  createTestTopic,
  deleteTestTopics,
  describeWithKafka,
  kafkaBrokers,
  testKafka,
  uniqueKafkaName,
} from '../helpers/kafka.ts'
import { capturingLogger } from '../helpers/logger.ts'

interface Received {
  headers: IncomingHttpHeaders
  body: string
  status: number
}

describeWithKafka('local Kafka dispatcher (KafkaSource semantics)', () => {
  const kafka = () => testKafka(uniqueKafkaName('dispatcher'))
  const received: Received[] = []
  /** Statuses the receiver answers per event id, in order; 200 when exhausted. */
  const script = new Map<string, number[]>()
  let server: ReturnType<typeof createServer>
  let sink: string
  let topic: string
  let deadLetterTopic: string
  let producer: Producer
  let dispatcher: KafkaDispatcher
  const admin = kafka().admin()
  const groupId = uniqueKafkaName('group')

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        const id = String(request.headers['ce-id'])
        const status = script.get(id)?.shift() ?? 200
        received.push({ headers: request.headers, body, status })
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ status, note: 'from the test receiver' }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    sink = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
    await admin.connect()
    topic = await createTestTopic(admin, { prefix: 'dispatch', partitions: 2 })
    deadLetterTopic = await createTestTopic(admin, { prefix: 'dead-letter', partitions: 1 })
    producer = kafka().producer({ idempotent: true })
    await producer.connect()
  })

  afterAll(async () => {
    await dispatcher?.stop()
    await producer?.disconnect()
    await deleteTestTopics(admin, [topic, deadLetterTopic])
    await admin.disconnect()
    await new Promise((resolve) => server.close(resolve))
  })

  const eventRecord = (id: string, partition: number) => {
    const event = new CloudEvent({
      id,
      source: '/tests',
      type: 'dev.skytrail.test',
      datacontenttype: 'application/json',
      data: { id },
    })
    const { value, headers } = toKafkaRecord(event)
    return { partition, value, headers }
  }

  const waitFor = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 30_000
    while (!condition()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  it('delivers each record once, in order per partition, in binary mode with partition and offset', async () => {
    script.set('p0-b', [503, 503]) // retried twice, then accepted: p0-c must wait for it
    script.set('p1-b', [400]) // final: straight to the dead-letter topic
    script.set('p1-c', [500, 500, 500, 500]) // still failing after the last retry
    await producer.send({
      topic,
      messages: [
        eventRecord('p0-a', 0),
        eventRecord('p0-b', 0),
        eventRecord('p0-c', 0),
        eventRecord('p1-a', 1),
        eventRecord('p1-b', 1),
        eventRecord('p1-c', 1),
        {
          partition: 1,
          key: 'k1',
          value: '{"time":1,"states":null}',
          headers: { 'X-Trace-Id': 'abc' },
        },
      ],
    })
    dispatcher = await startKafkaDispatcher({
      brokers: kafkaBrokers(),
      topic,
      groupId,
      sink,
      deadLetterTopic,
      retry: 3,
      backoffDelayMs: 10,
      logger: silentLogger,
    })
    await waitFor(
      () => dispatcher.stats().delivered + dispatcher.stats().deadLettered === 7,
      'all outcomes'
    )

    const accepted = received.filter((r) => r.status === 200)
    const order = (partition: string) =>
      accepted
        .filter((r) => r.headers['ce-knativekafkapartition'] === partition)
        .map((r) => r.headers['ce-id'])
    expect(order('0')).toEqual(['p0-a', 'p0-b', 'p0-c'])
    expect(order('1')).toEqual(['p1-a', 'partition:1/offset:3'])
    expect(received.filter((r) => r.headers['ce-id'] === 'p0-b').map((r) => r.status)).toEqual([
      503, 503, 200,
    ])
    expect(received.filter((r) => r.headers['ce-id'] === 'p1-c')).toHaveLength(4)
    expect(dispatcher.stats()).toEqual({ delivered: 5, retried: 5, deadLettered: 2 })

    const first = accepted[0]!
    expect(first.headers['content-type']).toBe('application/json')
    expect(first.headers['ce-knativekafkaoffset']).toBe('0')
    expect(JSON.parse(first.body)).toEqual({ id: first.headers['ce-id'] })

    const raw = accepted.find((r) => r.headers['ce-type'] === KAFKA_RECORD_EVENT_TYPE)!
    expect(raw.headers).toMatchObject({
      'ce-subject': 'partition:1#3',
      'ce-key': 'k1',
      'ce-partitionkey': 'k1',
      'ce-kafkaheaderxtraceid': 'abc',
    })
    expect(raw.body).toBe('{"time":1,"states":null}')
    expect(HTTP.toEvent({ headers: raw.headers, body: raw.body })).toBeTruthy()
  })

  it('sends failed records to the dead-letter topic with the error, and commits every offset', async () => {
    const consumer: Consumer = kafka().consumer({ groupId: uniqueKafkaName('dlq-reader') })
    await consumer.connect()
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true })
    const dead: CloudEvent<unknown>[] = []
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = recordHeaders(message.headers)
        const value = message.value?.toString() ?? ''
        const record = { headers, key: '', value, body: value }
        dead.push(KafkaBinding.toEvent(record) as CloudEvent<unknown>)
        return Promise.resolve()
      },
    })
    await waitFor(() => dead.length === 2, 'two dead letters')
    await consumer.disconnect()

    expect(dead.map((event) => [event.id, event.knativeerrorcode])).toEqual([
      ['p1-b', '400'],
      ['p1-c', '500'],
    ])
    expect(Buffer.from(String(dead[0]!.knativeerrordata), 'base64').toString()).toMatch(
      /test receiver/
    )
    expect(dead[0]!.knativeerrordest).toBe(sink)

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(committed[0]?.partitions.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '3', metadata: null },
      { partition: 1, offset: '4', metadata: null },
    ])
    const lag = await dispatcher.lag()
    expect(lag.total).toBe(0)
    expect(lag.partitions.map((p) => [p.partition, p.lag])).toEqual([
      [0, 0],
      [1, 0],
    ])
  })

  it('stops at once during a long backoff and leaves the record uncommitted for next time', async () => {
    const slowTopic = await createTestTopic(admin, { prefix: 'slow', partitions: 1 })
    const slowGroup = uniqueKafkaName('slow-group')
    script.set(
      'slow-1',
      Array.from({ length: 10 }, () => 503)
    )
    await producer.send({ topic: slowTopic, messages: [eventRecord('slow-1', 0)] })
    const log = capturingLogger()
    const slow = await startKafkaDispatcher({
      brokers: kafkaBrokers(),
      topic: slowTopic,
      groupId: slowGroup,
      sink,
      deadLetterTopic,
      retry: 5,
      backoffDelayMs: 60_000,
      logger: log.logger,
    })
    try {
      await waitFor(() => slow.stats().retried === 1, 'the first retry to wait')
      // Two minutes of backoff are due; stop() must not sit them out.
      const outcome = await Promise.race([
        slow.stop().then(() => 'stopped'),
        new Promise((resolve) => setTimeout(resolve, 15_000, 'still waiting')),
      ])
      expect(outcome).toBe('stopped')
      expect(slow.stats()).toMatchObject({ delivered: 0, deadLettered: 0 })
      const committed = await admin.fetchOffsets({ groupId: slowGroup, topics: [slowTopic] })
      expect(committed[0]?.partitions).toEqual([{ partition: 0, offset: '-1', metadata: null }])
      // Stopping is not a failure: nothing logs an error about it.
      expect(log.lines.filter((line) => line.level === 'error')).toEqual([])
    } finally {
      await deleteTestTopics(admin, [slowTopic])
    }
  })
})
