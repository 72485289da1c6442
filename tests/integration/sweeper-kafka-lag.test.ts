import type { Admin, Producer } from 'kafkajs'
import { Partitioners } from 'kafkajs'
import type pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'

import { ALERT_CLEARED_EVENT_TYPE, ALERT_RAISED_EVENT_TYPE } from '../../shared/events/index.ts'
import { pipelineAlertEventDataSchema } from '../../shared/events/pipeline-alert.ts'
import { fetchConsumerLag } from '../../shared/kafka/consumer-lag.ts'
import {
  createTestTopic,
  describeWithKafka,
  kafkaBrokers,
  testKafka,
  uniqueKafkaName,
  useTestTopic,
} from '../helpers/kafka.ts'
import { capturingLogger } from '../helpers/logger.ts'
import { useTestDatabase } from '../helpers/postgres.ts'
import type { AlertReceiver } from '../helpers/sweeper.ts'
import { createTestSweeper, startAlertReceiver } from '../helpers/sweeper.ts'
import { seedSweeperFlights } from '../helpers/sweeper-seed.ts'

// Records produced per partition: the end offsets of the topic.
const PRODUCED = [10, 7, 4]

const database = useTestDatabase()
const pools: pg.Pool[] = []

async function rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  return (await database().pool.query<T>(text, values)).rows
}

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()))
})

describeWithKafka('sweeper: Kafka consumer lag', () => {
  const fixture = useTestTopic({ prefix: 'sweeper-lag', partitions: PRODUCED.length })
  const groups: string[] = []
  let admin: Admin
  let topic: string
  let producer: Producer
  let receiver: AlertReceiver
  const kafka = testKafka(uniqueKafkaName('sweeper-lag'))

  beforeAll(async () => {
    ;({ admin, topic } = fixture())
    producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    await producer.connect()
    await producer.send({
      topic,
      messages: PRODUCED.flatMap((count, partition) =>
        Array.from({ length: count }, (_, n) => ({ partition, value: `p${partition}-${n}` }))
      ),
    })
  })

  afterAll(async () => {
    await producer?.disconnect()
    await admin?.deleteGroups(groups).catch(() => undefined)
  })

  beforeEach(async () => {
    receiver = await startAlertReceiver()
    await database().pool.query(
      'TRUNCATE live_flights, flight_histories, pipeline_alert_events, pipeline_alerts, sweeper_runs'
    )
    // Fresh data, so only the lag alert moves in these tests.
    await database().pool.query(
      `INSERT INTO pipeline_status (stream, last_event_id, last_data_time)
       VALUES ('0', 'e', now()) ON CONFLICT (stream) DO UPDATE SET last_write_at = now()`
    )
  })

  afterEach(async () => {
    await receiver.close()
  })

  /** A new consumer group with these committed offsets (undefined: never committed). */
  async function groupAt(committed: (number | undefined)[]): Promise<string> {
    const groupId = uniqueKafkaName('sweeper-group')
    groups.push(groupId)
    await commit(groupId, committed)
    return groupId
  }

  /**
   * Commits these offsets for the group the way KafkaSource's dispatcher does: as the group's only
   * member, with nothing auto-committed. (admin.setOffsets works too but takes ~5 s per call.)
   */
  async function commit(groupId: string, committed: (number | undefined)[], topicName = topic) {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 })
    await consumer.connect()
    try {
      await consumer.subscribe({ topic: topicName, fromBeginning: true })
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve))
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: noop })
      await joined
      await consumer.commitOffsets(
        committed.flatMap((offset, partition) =>
          offset === undefined ? [] : [{ topic: topicName, partition, offset: String(offset) }]
        )
      )
    } finally {
      await consumer.disconnect()
    }
  }

  function sweeper(groupId: string, env: Record<string, string> = {}) {
    return createTestSweeper(
      database().url,
      {
        KAFKA_BROKERS: kafkaBrokers().join(','),
        KAFKA_CONSUMER_GROUP: groupId,
        KAFKA_TOPIC: topic,
        K_SINK: receiver.url,
        ...env,
      },
      { pools }
    )
  }

  it('measures the lag of each partition exactly, counting an uncommitted one from the log start', async () => {
    const groupId = await groupAt([6, 7, undefined])

    const lag = await fetchConsumerLag(admin, { groupId, topic })

    expect(lag).toEqual({
      groupId,
      topic,
      total: 4 + 0 + 4,
      partitions: [
        { partition: 0, committed: 6, start: 0, end: 10, lag: 4 },
        { partition: 1, committed: 7, start: 0, end: 7, lag: 0 },
        { partition: 2, committed: null, start: 0, end: 4, lag: 4 },
      ],
    })
  })

  it('counts from the log start once retention deleted records past the committed offset', async () => {
    // A topic of its own: deleting records moves the log start for good.
    const own = await createTestTopic(admin, { prefix: 'sweeper-lag-retention', partitions: 2 })
    await producer.send({
      topic: own,
      messages: [0, 1].flatMap((partition) =>
        Array.from({ length: 5 }, (_, n) => ({ partition, value: String(n) }))
      ),
    })
    const groupId = uniqueKafkaName('sweeper-group')
    groups.push(groupId)
    await commit(groupId, [1, undefined], own)
    // deleteTopicRecords looks the leaders up in the admin's metadata cache: load the new topic.
    await admin.fetchTopicMetadata({ topics: [own] })
    await admin.deleteTopicRecords({
      topic: own,
      partitions: [
        { partition: 0, offset: '3' },
        { partition: 1, offset: '2' },
      ],
    })

    const lag = await fetchConsumerLag(admin, { groupId, topic: own })

    expect(lag.partitions).toEqual([
      { partition: 0, committed: 1, start: 3, end: 5, lag: 2 },
      { partition: 1, committed: null, start: 2, end: 5, lag: 3 },
    ])
    await admin.deleteTopics({ topics: [own] })
  })

  it('reports the lag per partition in the tick and as gauges, through a real admin client', async () => {
    const groupId = await groupAt([6, 7, undefined])
    const app = sweeper(groupId)

    const { status, body } = await app.tick()

    expect(status).toBe(200)
    expect(body.lag).toEqual({
      enabled: true,
      available: true,
      groupId,
      topic,
      total: 8,
      threshold: 100,
      partitionThreshold: 50,
      partitions: [
        { partition: 0, committed: 6, start: 0, end: 10, lag: 4 },
        { partition: 1, committed: 7, start: 0, end: 7, lag: 0 },
        { partition: 2, committed: null, start: 0, end: 4, lag: 4 },
      ],
    })
    const metrics = await (await app.app.request('/metrics')).text()
    expect(metrics).toContain(
      `skytrail_kafka_consumer_lag_messages{topic="${topic}",partition="0",service="sweeper"} 4`
    )
    expect(metrics).toContain(
      `skytrail_kafka_consumer_group_lag_messages{topic="${topic}",service="sweeper"} 8`
    )
  })

  it('raises kafka-lag once and clears it once across ticks, with one event each', async () => {
    const groupId = await groupAt([0, 0, 0])
    const app = sweeper(groupId, { KAFKA_LAG_THRESHOLD: '15', KAFKA_PARTITION_LAG_THRESHOLD: '50' })

    const raised = await app.tick()
    expect(raised.body.alerts.raised).toEqual(['kafka-lag'])
    expect((await app.tick()).body.alerts).toMatchObject({ raised: [], active: ['kafka-lag'] })

    await commit(groupId, [10, 7, 4])
    const cleared = await app.tick()
    expect(cleared.body.lag).toMatchObject({ total: 0 })
    expect(cleared.body.alerts).toMatchObject({ cleared: ['kafka-lag'], active: [] })
    expect((await app.tick()).body.alerts).toMatchObject({ raised: [], cleared: [] })

    expect(receiver.accepted.map((event) => [event.subject, event.type])).toEqual([
      ['kafka-lag', ALERT_RAISED_EVENT_TYPE],
      ['kafka-lag', ALERT_CLEARED_EVENT_TYPE],
    ])
    const data = pipelineAlertEventDataSchema.parse(receiver.accepted[0]?.data)
    expect(data).toMatchObject({ state: 'raised', value: 21, threshold: 15 })
    expect(data.message).toContain('total lag 21 > 15')
  })

  it('raises kafka-lag for one stuck partition even when the total is under its threshold', async () => {
    const groupId = await groupAt([10, 0, 4])
    const app = sweeper(groupId, { KAFKA_LAG_THRESHOLD: '100', KAFKA_PARTITION_LAG_THRESHOLD: '5' })

    const { body } = await app.tick()

    expect(body.alerts.raised).toEqual(['kafka-lag'])
    const data = pipelineAlertEventDataSchema.parse(receiver.accepted[0]?.data)
    expect(data.details).toMatchObject({ laggingPartitions: [1], partitionThreshold: 5 })
    expect(data.message).toContain('partitions over 5: 1 (7)')
  })

  it('reports a consumer group Kafka does not know instead of raising kafka-lag for the whole topic', async () => {
    const groupId = uniqueKafkaName('misspelt-group')
    const { logger, lines } = capturingLogger()
    const logged = createTestSweeper(
      database().url,
      {
        KAFKA_BROKERS: kafkaBrokers().join(','),
        KAFKA_CONSUMER_GROUP: groupId,
        KAFKA_TOPIC: topic,
        KAFKA_LAG_THRESHOLD: '1',
        K_SINK: receiver.url,
      },
      { pools, logger }
    )

    const { status, body } = await logged.tick()

    // A retry cannot fix a setting: the tick's work is done, so 200 with the reason.
    expect(status).toBe(200)
    expect(body.lag).toEqual({
      enabled: true,
      available: false,
      groupId,
      topic,
      groupState: 'Dead',
      error: `consumer group ${groupId} does not exist: it has no committed offsets on ${topic}`,
    })
    expect(body.alerts).toMatchObject({ raised: [], active: [] })
    expect(receiver.accepted).toEqual([])
    const warning = lines.find((line) => line.level === 'warn' && line.groupState === 'Dead')
    expect(warning?.msg).toContain(`consumer group ${groupId} does not exist`)
    const metrics = await (await logged.app.request('/metrics')).text()
    expect(metrics).toContain('skytrail_sweeper_ticks_total{outcome="kafka_no_committed_offsets"')
  })

  it('reports a group that exists but has committed nothing on the topic yet', async () => {
    const groupId = await groupAt([undefined, undefined, undefined])

    const { status, body } = await sweeper(groupId, { KAFKA_LAG_THRESHOLD: '1' }).tick()

    expect(status).toBe(200)
    expect(body.lag).toMatchObject({
      available: false,
      groupState: 'Empty',
      error: `consumer group ${groupId} (Empty) has no committed offsets on ${topic} yet`,
    })
    expect(body.alerts.raised).toEqual([])
  })

  it('drops the lag gauges when a later measurement fails, so a scrape shows no stale lag', async () => {
    const groupId = await groupAt([6, 7, undefined])
    let reachable = true
    const app = createTestSweeper(
      database().url,
      {
        KAFKA_BROKERS: kafkaBrokers().join(','),
        KAFKA_CONSUMER_GROUP: groupId,
        KAFKA_TOPIC: topic,
      },
      {
        pools,
        measureLag: async () => {
          if (!reachable) {
            throw new Error('broker gone')
          }
          return fetchConsumerLag(admin, { groupId, topic })
        },
      }
    )
    const scrape = async () => (await app.app.request('/metrics')).text()
    expect((await app.tick()).status).toBe(200)
    expect(await scrape()).toContain('skytrail_kafka_consumer_group_lag_messages{')

    reachable = false
    expect((await app.tick()).status).toBe(503)

    const metrics = await scrape()
    expect(metrics).not.toContain('skytrail_kafka_consumer_lag_messages{')
    expect(metrics).not.toContain('skytrail_kafka_consumer_group_lag_messages{')
  })

  it('still ends flights when Kafka is unreachable, keeps the lag alert as it was, and answers 503', async () => {
    const groupId = await groupAt([0, 0, 0])
    expect(
      (await sweeper(groupId, { KAFKA_LAG_THRESHOLD: '1' }).tick()).body.alerts.raised
    ).toEqual(['kafka-lag'])
    await seedSweeperFlights(database().pool, [{ icao24: 'abc001', silentSeconds: 5000 }])
    const app = createTestSweeper(
      database().url,
      { KAFKA_BROKERS: '127.0.0.1:1', KAFKA_TIMEOUT_MS: '2000', K_SINK: receiver.url },
      { pools }
    )

    const { status, body } = await app.tick()

    expect(status).toBe(503)
    expect(body.error).toMatch(/^Kafka unavailable: /)
    expect(body.details).toMatchObject({
      flightEnd: { flightsEnded: 1 },
      lag: { enabled: true, available: false },
      alerts: { raised: [], cleared: [], active: ['kafka-lag'] },
    })
    expect(await rows('SELECT * FROM live_flights')).toEqual([])
    const [run] = await rows<{ report: { lag: { available: boolean } } }>(
      'SELECT report FROM sweeper_runs ORDER BY id DESC LIMIT 1'
    )
    expect(run?.report.lag.available).toBe(false)
  })
})

async function noop() {}
