import type { LogEntry } from 'kafkajs'
import { Kafka, logLevel } from 'kafkajs'

import type { ConsumerLag } from '../../shared/kafka/consumer-lag.ts'
import { fetchCommittedConsumerLag } from '../../shared/kafka/consumer-lag.ts'
import type { Logger } from '../../shared/logger.ts'
import type { KafkaLagConfig } from './config.ts'

/**
 * Measures the consumer group's lag now; throws when Kafka cannot be asked, and
 * NoCommittedOffsetsError when the group has no position on the topic.
 */
export type MeasureLag = () => Promise<ConsumerLag>

/**
 * A lag probe that connects an admin client for each measurement and disconnects afterwards: a
 * tick comes once a minute or less and the pod may be gone by the next one, so a long-lived
 * connection buys nothing. The whole measurement is bounded by `timeoutMs`.
 */
export function createLagProbe(config: KafkaLagConfig, logger: Logger): MeasureLag {
  const kafkaLogger = logger.child({ component: 'kafkajs' })
  const kafka = new Kafka({
    clientId: 'skytrail-sweeper',
    brokers: config.brokers,
    connectionTimeout: Math.min(3_000, config.timeoutMs),
    requestTimeout: config.timeoutMs,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
    logLevel: logLevel.WARN,
    // The tick reports and logs the failure itself, with the reason; kafkajs's own lines are detail.
    logCreator:
      () =>
      ({ namespace, log }: LogEntry) => {
        const { message, ...extra } = log
        kafkaLogger.debug({ namespace, ...extra }, message)
      },
  })
  return async () => {
    const admin = kafka.admin()
    try {
      return await withDeadline(
        (async () => {
          await admin.connect()
          return fetchCommittedConsumerLag(admin, {
            groupId: config.consumerGroup,
            topic: config.topic,
          })
        })(),
        config.timeoutMs,
        `Kafka at ${config.brokers.join(',')} did not answer within ${config.timeoutMs} ms`
      )
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
  }
}

async function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms)
  })
  // The loser of the race may still reject; that must not become an unhandled rejection.
  work.catch(() => undefined)
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}
