import {
  CompressionTypes,
  Kafka,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from 'kafkajs'

import { toKafkaRecord } from '../../../shared/kafka/binary-record.ts'
import { kafkaLogCreator } from '../../../shared/kafka/log.ts'
import type { Logger } from '../../../shared/logger.ts'
import type { StatesEvent } from '../events.ts'
import { type EventSink, SinkError } from './sink.ts'

export interface KafkaSinkOptions {
  brokers: string[]
  topic: string
  clientId: string
  compression: 'gzip' | 'none'
  /** Partitions the producer writes to (the bucket count); the topic must have at least these. */
  partitions: number
  logger: Logger
}

/** A CloudEvent as a Kafka record in binary content mode, sent to partition = bucket explicitly. */
export function toKafkaMessage(event: StatesEvent, partition: number): Message {
  return { ...toKafkaRecord(event), partition }
}

/**
 * Writes events to Kafka with an idempotent producer (acks from all in-sync replicas), each on
 * the partition named by its `partitionkey`. Connects on first use, so a broker that is down at
 * start-up only fails ticks (503) until it is back. What can never succeed (a record too large,
 * a topic with fewer partitions than buckets, see {@link isFinalKafkaError}) rejects the events
 * for good instead. A tick's deadline is not used: kafkajs cannot abort a send, so its retries are
 * bounded instead (about 30 s).
 */
export function createKafkaSink(options: KafkaSinkOptions): EventSink {
  const { topic, logger } = options
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
  })
  let producer: Producer | undefined
  let connecting: Promise<Producer> | undefined

  const connect = async (): Promise<Producer> => {
    await checkPartitions(kafka, topic, options.partitions)
    const created = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Bounded, so a tick fails within ~30 s instead of hanging; a re-sent poll has the same
      // event ids, which the processor's inbox deduplicates.
      retry: { retries: 6, initialRetryTime: 300, maxRetryTime: 5000 },
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    await created.connect()
    logger.info({ brokers: options.brokers, topic }, 'connected to Kafka')
    return created
  }

  const write = async (producer: Producer, events: readonly StatesEvent[]): Promise<number> => {
    const messages = events.map((event) => toKafkaMessage(event, partitionOf(event)))
    await producer.send({
      topic,
      acks: -1,
      compression: options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      messages,
    })
    return messages.reduce((sum, message) => sum + Buffer.byteLength(message.value as string), 0)
  }

  /**
   * One partition's events in one request. kafkajs rolls back the idempotence sequence numbers of
   * every partition in a failed request, also of those the broker had accepted; its next batch
   * for such a partition then reuses numbers the broker already has and is refused as out of
   * order, for good. A request per partition means a failure rolls back only what the broker
   * refused.
   */
  const writePartition = async (
    producer: Producer,
    events: readonly StatesEvent[]
  ): Promise<PartitionOutcome> => {
    try {
      return { bytes: await write(producer, events), undelivered: [], rejected: [], problems: [] }
    } catch (err) {
      if (isFinalKafkaError(err) && events.length > 1) {
        return writeOneByOne(producer, events)
      }
      return { bytes: 0, ...failedEvents(events, err), problems: [(err as Error).message] }
    }
  }

  /** After a final error, each event of the partition on its own, to find the bad ones. */
  const writeOneByOne = async (
    producer: Producer,
    events: readonly StatesEvent[]
  ): Promise<PartitionOutcome> => {
    let bytes = 0
    const rejected: StatesEvent[] = []
    const problems: string[] = []
    for (const [index, event] of events.entries()) {
      try {
        bytes += await write(producer, [event])
      } catch (err) {
        problems.push(`${event.id}: ${(err as Error).message}`)
        if (!isFinalKafkaError(err)) {
          // the broker went away meanwhile: this and the later events are worth a retry
          return { bytes, undelivered: events.slice(index), rejected, problems }
        }
        rejected.push(event)
      }
    }
    return { bytes, undelivered: [], rejected, problems }
  }

  const sendFailure = (problems: string[]) =>
    `Kafka send to ${topic} failed: ${problems.join('; ').slice(0, 500)}`

  return {
    kind: 'kafka',
    async send(events) {
      let connected: Producer
      let byPartition: StatesEvent[][]
      try {
        // each partition's events in their order (an event without a bucket fails them all)
        byPartition = [...Map.groupBy(events, partitionOf).values()]
        connected = producer ??= await (connecting ??= connect().finally(() => {
          connecting = undefined
        }))
      } catch (err) {
        throw failure(sendFailure([(err as Error).message]), events, err)
      }
      const outcomes = await Promise.all(
        byPartition.map((partitionEvents) => writePartition(connected, partitionEvents))
      )
      const bytes = outcomes.reduce((sum, outcome) => sum + outcome.bytes, 0)
      const undelivered = outcomes.flatMap((outcome) => outcome.undelivered)
      const rejected = outcomes.flatMap((outcome) => outcome.rejected)
      if (undelivered.length > 0 || rejected.length > 0) {
        const problems = outcomes.flatMap((outcome) => outcome.problems)
        throw new SinkError(sendFailure(problems), { undelivered, rejected, bytes })
      }
      return { bytes }
    },
    async close() {
      await connecting?.catch(() => undefined)
      await producer?.disconnect()
      producer = undefined
    },
  }
}

interface PartitionOutcome {
  bytes: number
  undelivered: readonly StatesEvent[]
  rejected: readonly StatesEvent[]
  problems: string[]
}

/** All `events` failed with `err`: rejected for good or worth a retry, as kafkajs marks it. */
function failedEvents(events: readonly StatesEvent[], err: unknown) {
  return isFinalKafkaError(err)
    ? { undelivered: [], rejected: events }
    : { undelivered: events, rejected: [] }
}

function failure(message: string, events: readonly StatesEvent[], err: unknown): SinkError {
  return new SinkError(message, failedEvents(events, err), { cause: err })
}

/**
 * Whether sending the same records again cannot succeed. kafkajs marks every error `retriable`
 * (protocol errors as the Kafka protocol does: MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
 * INVALID_RECORD, INVALID_PARTITIONS, TOPIC_AUTHORIZATION_FAILED... are not). Two wrappers need
 * unwrapping: KafkaJSNumberOfRetriesExceeded is marked non-retriable although what failed was
 * retriable (only the retries ran out), and its retrier wraps a non-retriable error, or an
 * exhausted inner retrier's, in a KafkaJSNonRetriableError whose cause is the real error.
 */
export function isFinalKafkaError(err: unknown): boolean {
  if (!(err instanceof Error) || err.name === 'KafkaJSNumberOfRetriesExceeded') {
    return false
  }
  if (!('retriable' in err) || err.retriable !== false) {
    return false
  }
  const cause = err.cause
  if (cause instanceof Error && cause !== err) {
    // a cause without the flag is a plain error (TypeError...), which kafkajs never retries
    return 'retriable' in cause ? isFinalKafkaError(cause) : true
  }
  return true
}

/** The topic cannot take the buckets; final until an operator adds partitions. */
class TopicTooSmallError extends Error {
  override name = 'TopicTooSmallError'
  readonly retriable = false
}

function partitionOf(event: StatesEvent): number {
  const bucket = Number(event.partitionkey)
  if (!Number.isInteger(bucket) || bucket < 0) {
    throw new Error(`event ${event.id} has no bucket in its partitionkey`)
  }
  return bucket
}

async function checkPartitions(kafka: Kafka, topic: string, needed: number): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    const partitions = metadata.topics[0]?.partitions.length ?? 0
    if (partitions < needed) {
      throw new TopicTooSmallError(
        `topic ${topic} has ${partitions} partitions but KAFKA_PARTITIONS is ${needed}: ` +
          'create the topic with at least that many partitions or lower KAFKA_PARTITIONS'
      )
    }
  } finally {
    await admin.disconnect()
  }
}
