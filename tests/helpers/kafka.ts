import { randomBytes } from 'node:crypto'

import { type Admin, Kafka, type KafkaConfig, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, inject } from 'vitest'

/** Bootstrap servers from tests/setup/kafka.ts; empty when the Kafka tests are skipped. */
export function kafkaBrokers(): string[] {
  return inject('kafkaBrokers')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean)
}

export function hasKafka(): boolean {
  return kafkaBrokers().length > 0
}

/** `describe` that is skipped when no broker is available (the setup printed why). */
export function describeWithKafka(name: string, fn: () => void): void {
  describe.skipIf(!hasKafka())(name, fn)
}

/** A kafkajs client for the test broker that logs only errors. */
export function testKafka(clientId: string, config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: kafkaBrokers(),
    logLevel: logLevel.ERROR,
    connectionTimeout: 3_000,
    ...config,
  })
}

/** A name no other test file (or earlier run against the same broker) uses. */
export function uniqueKafkaName(prefix: string): string {
  return `skytrail-test-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
}

export interface CreateTestTopicOptions {
  /** Part of the topic name, e.g. the test file's subject. */
  prefix?: string
  partitions?: number
  /** Topic configs, e.g. `{ 'retention.ms': '60000' }`. */
  config?: Record<string, string>
}

/** Creates a uniquely named topic (replication factor 1) and waits for its partition leaders. */
export async function createTestTopic(
  admin: Admin,
  { prefix = 'topic', partitions = 1, config = {} }: CreateTestTopicOptions = {}
): Promise<string> {
  const topic = uniqueKafkaName(prefix)
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
      },
    ],
  })
  if (!created) {
    throw new Error(`topic ${topic} already exists`)
  }
  await waitUntilPartitionsServe(topic, partitions)
  return topic
}

/**
 * createTopics' waitForLeaders only waits for leaders in the metadata; the leader can still answer
 * NOT_LEADER_OR_FOLLOWER for a moment (a retried, but logged, error on the first produce). Polls
 * ListOffsets on every partition, with a client that logs nothing, until all of them answer.
 */
async function waitUntilPartitionsServe(topic: string, partitions: number): Promise<void> {
  const admin = testKafka(uniqueKafkaName('topic-ready'), {
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin()
  await admin.connect()
  try {
    const deadline = Date.now() + 30_000
    for (;;) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic)
        if (offsets.length === partitions) {
          return
        }
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`partitions of ${topic} did not become available`, { cause: error })
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`partitions of ${topic} did not become available`)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    await admin.disconnect()
  }
}

export async function deleteTestTopics(admin: Admin, topics: string[]): Promise<void> {
  if (topics.length > 0) {
    await admin.deleteTopics({ topics, timeout: 10_000 })
  }
}

export interface TestTopic {
  topic: string
  /** A connected admin client, disconnected after the file. */
  admin: Admin
}

/**
 * Gives the calling test file its own topic, created before the file's tests and deleted after
 * them (call inside a describeWithKafka block). Use the returned getter inside tests.
 */
export function useTestTopic(options: CreateTestTopicOptions = {}): () => TestTopic {
  let current: TestTopic | undefined
  beforeAll(async () => {
    const admin = testKafka(uniqueKafkaName('admin')).admin()
    await admin.connect()
    current = { admin, topic: await createTestTopic(admin, options) }
  })
  afterAll(async () => {
    if (current) {
      try {
        await deleteTestTopics(current.admin, [current.topic])
      } finally {
        await current.admin.disconnect()
      }
    }
  })
  return () => {
    if (!current) {
      throw new Error('useTestTopic(): the topic exists only inside tests and hooks')
    }
    return current
  }
}
