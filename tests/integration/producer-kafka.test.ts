/**
 * The Kafka sink against a real broker: a poll goes out as one binary-mode CloudEvent record per
 * bucket on partition = bucket; a plain kafkajs consumer reads them back and the SDK decodes the
 * same attributes and data.
 */
import { CloudEvent, Kafka as KafkaBinding, type KafkaMessage } from 'cloudevents'
import type { Consumer, KafkaMessage as ConsumedMessage } from 'kafkajs'
import { afterAll, beforeAll, expect, it } from 'vitest'

import { type StatesEvent, toStatesEvents } from '../../functions/producer/events.ts'
import { createKafkaSink } from '../../functions/producer/sinks/kafka-sink.ts'
import type { EventSink } from '../../functions/producer/sinks/sink.ts'
import { SinkError } from '../../functions/producer/sinks/sink.ts'
import { PING_EVENT_TYPE } from '../../shared/events/index.ts'
import { recordHeaders } from '../../shared/kafka/binary-record.ts'
import { silentLogger } from '../../shared/logger.ts'
import { asBinary } from '../fixtures/events.ts'
import { loadSample } from '../fixtures/opensky.ts'
import { buildProducer } from '../fixtures/producer.ts'
import {
  createTestTopic,
  deleteTestTopics,
  describeWithKafka,
  kafkaBrokers,
  testKafka,
  uniqueKafkaName,
  useTestTopic,
} from '../helpers/kafka.ts'

const BUCKETS = 6

interface Consumed {
  partition: number
  message: ConsumedMessage
}

/** What a consumer must do before Kafka.toEvent: kafkajs delivers Buffers, the SDK wants strings. */
function decode({ message }: Consumed): StatesEvent {
  const input: KafkaMessage = {
    key: message.key?.toString() ?? '',
    value: message.value,
    headers: recordHeaders(message.headers),
    body: message.value,
    timestamp: message.timestamp,
  }
  return KafkaBinding.toEvent(input) as StatesEvent
}

describeWithKafka('producer Kafka sink', () => {
  const fixture = useTestTopic({ prefix: 'producer', partitions: BUCKETS })
  const consumed: Consumed[] = []
  let sink: EventSink
  let consumer: Consumer
  let sent: StatesEvent[]

  beforeAll(async () => {
    const { topic } = fixture()
    sink = createKafkaSink({
      brokers: kafkaBrokers(),
      topic,
      clientId: uniqueKafkaName('producer'),
      compression: 'gzip',
      partitions: BUCKETS,
      logger: silentLogger,
    })
    consumer = testKafka(uniqueKafkaName('reader')).consumer({
      groupId: uniqueKafkaName('producer-reader'),
    })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        consumed.push({ partition, message })
        return Promise.resolve()
      },
    })
  })

  afterAll(async () => {
    await consumer?.disconnect()
    await sink?.close()
  })

  async function waitForRecords(count: number): Promise<void> {
    const deadline = Date.now() + 30_000
    while (consumed.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`consumed ${consumed.length} of ${count} records`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  it('writes one record per bucket, bucket b on partition b, keyed by the bucket', async () => {
    // the whole-world sample: 4,181 real states with 18 fields
    sent = toStatesEvents(loadSample('sample-3'), {
      source: '/skytrail/producer/bbox/-90,-180,90,180',
      buckets: BUCKETS,
    }).events
    const { bytes } = await sink.send(sent)
    expect(bytes).toBeGreaterThan(400_000)
    await waitForRecords(BUCKETS)
    expect(consumed).toHaveLength(BUCKETS)
    for (const { partition, message } of consumed) {
      expect(message.key?.toString()).toBe(String(partition))
      expect(message.timestamp).toBe(String(1649392659 * 1000))
    }
    expect(consumed.map(({ partition }) => partition).sort()).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('decodes with the SDK to the same attributes and data', () => {
    for (const record of consumed) {
      const event = decode(record)
      const original = sent.find((candidate) => candidate.id === event.id)
      expect(original, event.id).toBeDefined()
      expect(event).toMatchObject({
        id: original!.id,
        source: original!.source,
        type: 'dev.skytrail.opensky.states.v1',
        time: '2022-04-08T04:37:39.000Z',
        datacontenttype: 'application/json',
        partitionkey: String(record.partition),
      })
      expect(event.data).toEqual(original!.data)
      expect(recordHeaders(record.message.headers).ce_partitionkey).toBe(String(record.partition))
    }
    const rows = consumed.flatMap((record) => decode(record).data!.states)
    expect(rows).toHaveLength(4181)
  })

  it('takes a PingSource tick through the whole producer into the topic (simulated traffic)', async () => {
    const { producer, app } = await buildProducer({
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC: fixture().topic,
      PRODUCER_SOURCE: 'simulate',
      SIMULATION_AIRCRAFT: '2000',
      SIMULATION_SEED: '3',
    })
    try {
      const before = consumed.length
      const res = await app.request(
        '/',
        asBinary(
          new CloudEvent<unknown>({
            type: PING_EVENT_TYPE,
            source: '/apis/v1/namespaces/skytrail/pingsources/producer',
            data: {},
          })
        )
      )
      const report = (await res.json()) as { status: string; states: number; events: number }
      expect(report).toMatchObject({ status: 'polled', events: BUCKETS })
      expect(report.states).toBeGreaterThan(500)
      await waitForRecords(before + BUCKETS)
      const events = consumed.slice(before).map(decode)
      expect(events.every((event) => event.source.startsWith('/skytrail/producer/simulate/'))).toBe(
        true
      )
      expect(events.reduce((sum, event) => sum + event.data!.states.length, 0)).toBe(report.states)
    } finally {
      await producer.close()
    }
  })

  it('refuses a topic with fewer partitions than buckets, naming both numbers', async () => {
    const admin = testKafka(uniqueKafkaName('admin')).admin()
    await admin.connect()
    const small = await createTestTopic(admin, { prefix: 'small', partitions: 2 })
    const narrow = createKafkaSink({
      brokers: kafkaBrokers(),
      topic: small,
      clientId: uniqueKafkaName('producer'),
      compression: 'none',
      partitions: BUCKETS,
      logger: silentLogger,
    })
    try {
      const failure = await narrow.send(sent).catch((err: unknown) => err)
      expect(failure).toBeInstanceOf(SinkError)
      expect((failure as SinkError).message).toMatch(/has 2 partitions but KAFKA_PARTITIONS is 6/)
      // final until an operator adds partitions: dropped, not kept for the next tick
      expect((failure as SinkError).rejected).toHaveLength(BUCKETS)
      expect((failure as SinkError).undelivered).toHaveLength(0)
    } finally {
      await narrow.close()
      await deleteTestTopics(admin, [small])
      await admin.disconnect()
    }
  })

  /**
   * Runs `test` with a sink writing to a fresh topic that takes records of at most 64 KiB, and
   * the topic's end offset per partition.
   */
  async function withStrictTopic(
    test: (sink: EventSink, highWatermarks: () => Promise<number[]>) => Promise<void>
  ) {
    const admin = testKafka(uniqueKafkaName('admin')).admin()
    await admin.connect()
    const strict = await createTestTopic(admin, {
      prefix: 'strict',
      partitions: BUCKETS,
      config: { 'max.message.bytes': '65536' },
    })
    const sink = createKafkaSink({
      brokers: kafkaBrokers(),
      topic: strict,
      clientId: uniqueKafkaName('producer'),
      compression: 'none',
      partitions: BUCKETS,
      logger: silentLogger,
    })
    const highWatermarks = async () =>
      (await admin.fetchTopicOffsets(strict))
        .sort((a, b) => a.partition - b.partition)
        .map(({ high }) => Number(high))
    try {
      await test(sink, highWatermarks)
    } finally {
      await sink.close()
      await deleteTestTopics(admin, [strict])
      await admin.disconnect()
    }
  }

  const worldSource = '/skytrail/producer/bbox/-90,-180,90,180'
  /** The whole world in one bucket: about 500 kB for partition 0. */
  const worldInOneEvent = () =>
    toStatesEvents(loadSample('sample-3'), { source: worldSource, buckets: 1 }).events[0]!
  const poll = (sample: 'sample-1' | 'sample-2') =>
    toStatesEvents(loadSample(sample), { source: worldSource, buckets: BUCKETS }).events

  it('rejects a record too large for the topic for good and writes the other buckets once', async () => {
    await withStrictTopic(async (sink, highWatermarks) => {
      const huge = worldInOneEvent()
      const failure = await sink
        .send([huge, ...poll('sample-1').slice(1)])
        .catch((err: unknown) => err)
      expect(failure).toBeInstanceOf(SinkError)
      expect((failure as SinkError).message).toMatch(/larger than the max message size/)
      expect((failure as SinkError).rejected).toEqual([huge])
      expect((failure as SinkError).undelivered).toEqual([])
      // buckets 1-5 went in requests of their own, accepted once and not sent again
      expect(await highWatermarks()).toEqual([0, 1, 1, 1, 1, 1])

      // the sink is not wedged: the next poll goes through, partition 0 included
      await sink.send(poll('sample-2'))
      expect(await highWatermarks()).toEqual([1, 2, 2, 2, 2, 2])
    })
  })

  it('keeps writing later polls after a record too large shared a send with two polls', async () => {
    await withStrictTopic(async (sink, highWatermarks) => {
      const huge = worldInOneEvent()
      // a pending poll and a fresh one share buckets 1-5: two records per partition in one send
      const failure = await sink
        .send([huge, ...poll('sample-1').slice(1), ...poll('sample-2').slice(1)])
        .catch((err: unknown) => err)
      expect(failure).toBeInstanceOf(SinkError)
      expect((failure as SinkError).rejected.map((event) => event.id)).toEqual([huge.id])
      expect((failure as SinkError).undelivered).toEqual([])
      expect(await highWatermarks()).toEqual([0, 2, 2, 2, 2, 2])

      // kafkajs must not have lost count of the sequence numbers the broker accepted
      await sink.send(poll('sample-1'))
      await sink.send(poll('sample-2'))
      expect(await highWatermarks()).toEqual([2, 4, 4, 4, 4, 4])
    })
  })
})
