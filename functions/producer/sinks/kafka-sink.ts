import { Kafka as KafkaBinding } from 'cloudevents'
import {
  CompressionTypes,
  Kafka,
  type LogEntry,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from 'kafkajs'

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

/**
 * A CloudEvent as a Kafka record in binary content mode (`ce_*` headers, JSON value), fixed for
 * kafkajs: the SDK's `Kafka.binary` leaves the value as an object and undefined headers in, both
 * of which kafkajs's encoder rejects. The record goes to partition = bucket explicitly.
 * @see https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/kafka-protocol-binding.md
 */
export function toKafkaMessage(event: StatesEvent, partition: number): Message {
  const binary = KafkaBinding.binary(event)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(binary.headers)) {
    if (value !== undefined && value !== null) {
      headers[name] = String(value)
    }
  }
  return {
    key: binary.key === undefined ? null : String(binary.key),
    value: JSON.stringify(binary.value),
    headers,
    partition,
    timestamp: binary.timestamp,
  }
}

/**
 * Writes events to Kafka with an idempotent producer (acks from all in-sync replicas), each on
 * the partition named by its `partitionkey`. Connects on first use, so a broker that is down at
 * start-up only fails ticks (503) until it is back.
 */
export function createKafkaSink(options: KafkaSinkOptions): EventSink {
  const { topic, logger } = options
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => logKafka(logger, entry),
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

  return {
    kind: 'kafka',
    async send(events) {
      try {
        producer ??= await (connecting ??= connect().finally(() => {
          connecting = undefined
        }))
        const messages = events.map((event) => toKafkaMessage(event, partitionOf(event)))
        await producer.send({
          topic,
          acks: -1,
          compression:
            options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
          messages,
        })
        return {
          bytes: messages.reduce(
            (sum, message) => sum + Buffer.byteLength(message.value as string),
            0
          ),
        }
      } catch (err) {
        throw new SinkError(`Kafka send to ${topic} failed: ${(err as Error).message}`, events, {
          cause: err,
        })
      }
    },
    async close() {
      await connecting?.catch(() => undefined)
      await producer?.disconnect()
      producer = undefined
    },
  }
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
      throw new Error(
        `topic ${topic} has ${partitions} partitions but KAFKA_PARTITIONS is ${needed}: ` +
          'create the topic with at least that many partitions or lower KAFKA_PARTITIONS'
      )
    }
  } finally {
    await admin.disconnect()
  }
}

const KAFKA_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

function logKafka(logger: Logger, { namespace, level, log }: LogEntry): void {
  const { message, timestamp: _timestamp, logger: _name, ...details } = log
  // kafkajs warns about its own retry limit on every idempotent producer; we limit on purpose.
  const quiet = message.startsWith('Limiting retries for the idempotent producer')
  const method = quiet ? 'debug' : (KAFKA_LEVELS[level] ?? 'info')
  logger[method]({ kafkajs: namespace, ...details }, message)
}
