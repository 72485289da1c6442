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
 * for good instead.
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
   * Kafka answers per partition, but kafkajs throws only the first partition's error: after a
   * final one, each event is sent on its own to find the bad ones. Partitions the broker had
   * already accepted are not written twice: kafkajs resends them with the same idempotence
   * sequence numbers, which the broker recognises.
   */
  const writeOneByOne = async (producer: Producer, events: readonly StatesEvent[]) => {
    let bytes = 0
    const rejected: StatesEvent[] = []
    const problems: string[] = []
    for (const [index, event] of events.entries()) {
      try {
        bytes += await write(producer, [event])
      } catch (err) {
        problems.push(`${event.id}: ${(err as Error).message}`)
        if (!isFinalKafkaError(err)) {
          // the broker went away meanwhile: this and the remaining events are worth a retry
          throw new SinkError(sendFailure(problems), {
            undelivered: events.slice(index),
            rejected,
            bytes,
          })
        }
        rejected.push(event)
      }
    }
    if (rejected.length > 0) {
      throw new SinkError(sendFailure(problems), { rejected, bytes })
    }
    return { bytes }
  }

  const sendFailure = (problems: string[]) =>
    `Kafka send to ${topic} failed: ${problems.join('; ').slice(0, 500)}`

  return {
    kind: 'kafka',
    async send(events) {
      let connected: Producer
      try {
        connected = producer ??= await (connecting ??= connect().finally(() => {
          connecting = undefined
        }))
      } catch (err) {
        throw failure(sendFailure([(err as Error).message]), events, err)
      }
      try {
        return { bytes: await write(connected, events) }
      } catch (err) {
        if (events.length > 1 && isFinalKafkaError(err)) {
          return writeOneByOne(connected, events)
        }
        throw failure(sendFailure([(err as Error).message]), events, err)
      }
    },
    async close() {
      await connecting?.catch(() => undefined)
      await producer?.disconnect()
      producer = undefined
    },
  }
}

/** All `events` failed with `err`: rejected for good or worth a retry, as kafkajs marks it. */
function failure(message: string, events: readonly StatesEvent[], err: unknown): SinkError {
  const final = isFinalKafkaError(err)
  return new SinkError(message, final ? { rejected: events } : { undelivered: events }, {
    cause: err,
  })
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
