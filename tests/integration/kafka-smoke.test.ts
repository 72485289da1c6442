/**
 * Proves that our Kafka client (kafkajs 2.2.4) works against Kafka 4.x, which removed old protocol
 * versions (KIP-896): admin (create/delete topics, offsets), idempotent producer with keys and
 * headers, consumer group with an explicit commit.
 */
import type { Admin, Consumer, EachMessagePayload, Producer } from 'kafkajs'
import { Partitioners } from 'kafkajs'
import { afterAll, beforeAll, expect, it } from 'vitest'

import { recordHeaders } from '../../shared/kafka/binary-record.ts'
import { describeWithKafka, testKafka, uniqueKafkaName, useTestTopic } from '../helpers/kafka.ts'

const PARTITIONS = 3
// icao24-like aircraft keys, RECORDS_PER_KEY records each
const KEYS = ['3c6444', '4b1805', '39de4f', 'a8c2f1', '7c6b2d', '440170', '3c4b26', 'ab1644']
const RECORDS_PER_KEY = 4

interface Received {
  key: string
  partition: number
  offset: bigint
  value: string
  headers: Record<string, string>
}

describeWithKafka('kafkajs 2.2.4 against Kafka 4.x', () => {
  // this file's own topic and a connected admin; deleted/disconnected after the afterAll below
  // (vitest runs afterAll hooks in reverse order)
  const fixture = useTestTopic({ prefix: 'smoke', partitions: PARTITIONS })
  const kafka = testKafka(uniqueKafkaName('smoke'))
  const groupId = uniqueKafkaName('smoke-group')
  let admin: Admin
  let topic: string
  let producer: Producer | undefined
  let consumer: Consumer | undefined
  const received: Received[] = []

  beforeAll(() => {
    const current = fixture()
    admin = current.admin
    topic = current.topic
  })

  afterAll(async () => {
    await consumer?.disconnect()
    await producer?.disconnect()
    // an empty group whose members left; Kafka would also expire it
    await admin?.deleteGroups([groupId])
  })

  it('creates the topic with several partitions', async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(metadata.topics[0]?.partitions).toHaveLength(PARTITIONS)
  })

  it('produces keyed records with headers (idempotent, acks=all)', async () => {
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    await producer.connect()
    const messages = KEYS.flatMap((key) =>
      Array.from({ length: RECORDS_PER_KEY }, (_, seq) => ({
        key,
        value: JSON.stringify({ icao24: key, seq }),
        headers: {
          'ce-type': 'dev.skytrail.flight.state',
          'ce-id': `${key}-${seq}`,
          'content-type': 'application/json',
        },
      }))
    )
    const metadata = await producer.send({ topic, acks: -1, messages })
    const acknowledged = metadata.map((entry) => entry.partition)
    expect(metadata.every((entry) => entry.errorCode === 0)).toBe(true)
    // 8 keys over 3 partitions: the default (murmur2) partitioner uses more than one of them
    expect(new Set(acknowledged).size).toBeGreaterThan(1)
  })

  it('consumes them in a consumer group and commits the offsets', async () => {
    const expected = KEYS.length * RECORDS_PER_KEY
    consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })

    const allReceived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`received ${received.length} of ${expected} records in 30 s`)),
        30_000
      )
      consumer
        ?.run({
          autoCommit: false,
          eachMessage: ({ partition, message }: EachMessagePayload) => {
            received.push({
              key: message.key?.toString() ?? '',
              partition,
              offset: BigInt(message.offset),
              value: message.value?.toString() ?? '',
              headers: recordHeaders(message.headers),
            })
            if (received.length >= expected) {
              clearTimeout(timer)
              resolve()
            }
            return Promise.resolve()
          },
        })
        .catch(reject)
    })
    await allReceived
    expect(received).toHaveLength(expected)

    // commit the next offset to read (last consumed + 1) per partition
    const next = new Map<number, bigint>()
    for (const record of received) {
      const current = next.get(record.partition) ?? 0n
      if (record.offset + 1n > current) {
        next.set(record.partition, record.offset + 1n)
      }
    }
    await consumer.commitOffsets(
      [...next].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() }))
    )
  })

  it('keeps one partition per key, the order within a key, and the header values', () => {
    for (const key of KEYS) {
      const records = received.filter((record) => record.key === key)
      expect(records).toHaveLength(RECORDS_PER_KEY)
      expect(new Set(records.map((record) => record.partition)).size).toBe(1)
      expect(records.map((record) => (JSON.parse(record.value) as { seq: number }).seq)).toEqual([
        0, 1, 2, 3,
      ])
      records.forEach((record, seq) => {
        expect(record.headers).toEqual({
          'ce-type': 'dev.skytrail.flight.state',
          'ce-id': `${key}-${seq}`,
          'content-type': 'application/json',
        })
      })
    }
  })

  it('reads the committed offsets back with the admin client', async () => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
    const ends = await admin.fetchTopicOffsets(topic)
    expect(committed?.topic).toBe(topic)

    const committedByPartition = Object.fromEntries(
      (committed?.partitions ?? []).map((entry) => [entry.partition, entry.offset])
    )
    const endByPartition = Object.fromEntries(ends.map((entry) => [entry.partition, entry.high]))
    const receivedByPartition = Object.fromEntries(
      ends.map((entry) => [
        entry.partition,
        String(received.filter((record) => record.partition === entry.partition).length),
      ])
    )
    expect(ends).toHaveLength(PARTITIONS)
    // a new topic starts at offset 0, so per partition: end offset = records consumed = committed
    // (a partition that got no record has end offset 0 and committed offset -1, i.e. none)
    for (const { partition, high, low } of ends) {
      expect(low).toBe('0')
      expect(high).toBe(receivedByPartition[partition])
      expect(committedByPartition[partition]).toBe(high === '0' ? '-1' : high)
    }
    expect(Object.values(endByPartition).reduce((sum, high) => sum + Number(high), 0)).toBe(
      KEYS.length * RECORDS_PER_KEY
    )
  })
})
