// The local stand-in for Knative's KafkaSource data plane (knative-extensions/eventing-kafka-
// broker, dispatcher), so `npm start` with KAFKA_BROKERS delivers records to the processor with
// the same semantics as the cluster:
// - per-partition order: a partition's next record is sent after the previous one's outcome;
// - one POST per record, CloudEvents binary mode, with `knativekafkapartition` and
//   `knativekafkaoffset`; a record that is not a CloudEvent becomes `dev.knative.kafka.event`
//   with id `partition:<p>/offset:<o>`;
// - retries with exponential backoff (delay * 2^n) on 404, 408, 409, 429, 5xx and network
//   errors; other statuses are final;
// - after the last retry or a final status the record goes to the dead-letter topic with
//   `knativeerrorcode`, `knativeerrordest` and `knativeerrordata`;
// - the offset is committed only after the outcome, so a crash redelivers (at least once).
import { setTimeout as wait } from 'node:timers/promises'

import type { CloudEvent } from 'cloudevents'
import { CloudEvent as Event, Kafka as KafkaBinding } from 'cloudevents'
import type { KafkaMessage as KafkaRecord } from 'kafkajs'
import { Kafka, logLevel } from 'kafkajs'

import { EXTENSION, KAFKA_RECORD_EVENT_TYPE } from '../../shared/events/index.ts'
import { toBinaryRequest } from '../../shared/http/binary-request.ts'
import { RETRIED_CLIENT_ERRORS } from '../../shared/http/knative-retry.ts'
import { recordHeaders, toKafkaRecord } from '../../shared/kafka/binary-record.ts'
import type { ConsumerLag } from '../../shared/kafka/consumer-lag.ts'
import { fetchConsumerLag } from '../../shared/kafka/consumer-lag.ts'
import { kafkaLogCreator } from '../../shared/kafka/log.ts'
import type { Logger } from '../../shared/logger.ts'

const MAX_ERROR_DATA_BYTES = 1024

export interface KafkaDispatcherOptions {
  brokers: string[]
  topic: string
  groupId: string
  /** The subscriber: the processor's URL. */
  sink: string
  deadLetterTopic: string
  /** Retries after the first attempt (KafkaSource `delivery.retry`); the defaults are the manifest's. */
  retry?: number
  /** KafkaSource `delivery.backoffDelay`: the n-th retry waits delay * 2^n. */
  backoffDelayMs?: number
  /** KafkaSource `delivery.timeout`, per request. */
  timeoutMs?: number
  /** Names the source like a KafkaSource in namespace `local`. */
  sourceName?: string
  logger: Logger
}

export interface DispatcherStats {
  delivered: number
  retried: number
  deadLettered: number
}

export interface KafkaDispatcher {
  stats(): DispatcherStats
  /** Records behind, per partition and in total. */
  lag(): Promise<ConsumerLag>
  stop(): Promise<void>
}

type Outcome = { ok: true } | { ok: false; status?: number; body?: string; error?: string }

export async function startKafkaDispatcher(
  options: KafkaDispatcherOptions
): Promise<KafkaDispatcher> {
  const { topic, sink, logger } = options
  // As knative/processor/400-kafkasource-processor.yaml: 34 minutes of backoff outlast a database
  // restart, so a delivery reaches the dead-letter topic only when it fails for good.
  const retry = options.retry ?? 11
  const backoffDelayMs = options.backoffDelayMs ?? 500
  const timeoutMs = options.timeoutMs ?? 30_000
  const source = `/apis/v1/namespaces/local/kafkasources/${options.sourceName ?? 'processor'}#${topic}`
  const kafka = new Kafka({
    clientId: 'skytrail-local-dispatcher',
    brokers: options.brokers,
    logLevel: logLevel.ERROR,
    logCreator: kafkaLogCreator(logger),
  })
  const consumer = kafka.consumer({ groupId: options.groupId })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  const admin = kafka.admin()
  const stats: DispatcherStats = { delivered: 0, retried: 0, deadLettered: 0 }
  // Aborted by stop(): no more retries, and a wait for one ends at once.
  const stopping = new AbortController()

  await Promise.all([consumer.connect(), producer.connect(), admin.connect()])
  await consumer.subscribe({ topic, fromBeginning: true })
  const partitions =
    (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? []

  const send = async (event: CloudEvent<unknown>): Promise<Outcome> => {
    const { headers, body } = toBinaryRequest(event)
    try {
      const response = await fetch(sink, {
        method: 'POST',
        headers: { ...headers, prefer: 'reply' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      })
      const text = await response.text()
      return response.status < 300
        ? { ok: true }
        : { ok: false, status: response.status, body: text }
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) }
    }
  }

  const deliver = async (event: CloudEvent<unknown>): Promise<Outcome> => {
    let outcome = await send(event)
    for (
      let attempt = 1;
      attempt <= retry && !outcome.ok && isRetryable(outcome) && !stopping.signal.aborted;
      attempt++
    ) {
      stats.retried++
      // Up to 17 minutes at the last retry: stop() aborts the wait (its only rejection), so
      // Ctrl-C does not sit it out.
      const delay = backoffDelayMs * 2 ** attempt
      const aborted = await wait(delay, false, { signal: stopping.signal }).catch(() => true)
      if (aborted) {
        break
      }
      outcome = await send(event)
    }
    return outcome
  }

  const deadLetter = async (event: CloudEvent<unknown>, outcome: Outcome & { ok: false }) => {
    const failed = event.cloneWith(
      {
        knativeerrordest: sink,
        ...(outcome.status !== undefined && { knativeerrorcode: String(outcome.status) }),
        ...(outcome.body && {
          knativeerrordata: Buffer.from(outcome.body)
            .subarray(0, MAX_ERROR_DATA_BYTES)
            .toString('base64'),
        }),
      },
      false
    )
    await producer.send({ topic: options.deadLetterTopic, messages: [toKafkaRecord(failed)] })
    stats.deadLettered++
  }

  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: Math.max(1, partitions.length),
    eachMessage: async (payload) => {
      const { partition, message } = payload
      const event = toCloudEvent(message, { topic, partition, source })
      const outcome = await deliver(event)
      if (stopping.signal.aborted && !outcome.ok) {
        // Not an outcome: the record must come again next time. kafkajs marks it consumed, but
        // with autoCommit off only the commitOffsets call below sends offsets to Kafka. Pausing
        // keeps kafkajs from going on to the partition's next record; a thrown error would too,
        // but kafkajs logs that as a failure.
        payload.pause()
        return
      }
      if (outcome.ok) {
        stats.delivered++
      } else {
        logger.warn(
          { partition, offset: message.offset, status: outcome.status, error: outcome.error },
          'delivery failed, record sent to the dead-letter topic'
        )
        await deadLetter(event, outcome)
      }
      await consumer.commitOffsets([
        { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
      ])
    },
  })

  return {
    stats: () => ({ ...stats }),
    lag: () => fetchConsumerLag(admin, { groupId: options.groupId, topic }),
    async stop() {
      stopping.abort()
      await consumer.disconnect()
      await Promise.all([producer.disconnect(), admin.disconnect()])
    },
  }
}

function isRetryable(outcome: Outcome & { ok: false }): boolean {
  return (
    outcome.status === undefined ||
    outcome.status >= 500 ||
    RETRIED_CLIENT_ERRORS.has(outcome.status)
  )
}

/** Decodes a record like KafkaSource does: a CloudEvent as it is, anything else wrapped. */
function toCloudEvent(
  record: KafkaRecord,
  where: { topic: string; partition: number; source: string }
): CloudEvent<unknown> {
  const headers = Object.fromEntries(
    Object.entries(recordHeaders(record.headers)).map(([name, value]) => [
      name.toLowerCase(),
      value,
    ])
  )
  const positions = {
    [EXTENSION.kafkaPartition]: String(where.partition),
    [EXTENSION.kafkaOffset]: record.offset,
  }
  const key = record.key?.toString()
  const value = record.value?.toString() ?? ''
  const message = { headers, key: key ?? '', value, body: value, timestamp: record.timestamp }
  if (KafkaBinding.isEvent(message)) {
    try {
      const attributes = (KafkaBinding.toEvent(message) as CloudEvent<unknown>).toJSON()
      // The SDK copies the record key into `partitionkey`; KafkaSource passes the event's own
      // attributes, so only a `ce_partitionkey` header sets it.
      delete attributes.partitionkey
      if (headers.ce_partitionkey !== undefined) {
        attributes.partitionkey = headers.ce_partitionkey
      }
      return new Event({ ...attributes, ...positions }, false)
    } catch {
      // an incomplete CloudEvent is wrapped like any other record
    }
  }
  const extensions: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name !== 'content-type') {
      extensions[`kafkaheader${name.replace(/[^a-z0-9]/g, '')}`] = value
    }
  }
  return new Event(
    {
      id: `partition:${where.partition}/offset:${record.offset}`,
      source: where.source,
      type: KAFKA_RECORD_EVENT_TYPE,
      subject: `partition:${where.partition}#${record.offset}`,
      time: new Date(Number(record.timestamp)).toISOString(),
      ...(headers['content-type'] && { datacontenttype: headers['content-type'].toLowerCase() }),
      ...(key !== undefined && { key, partitionkey: key }),
      ...extensions,
      ...positions,
      data: record.value?.toString(),
    },
    false
  )
}
