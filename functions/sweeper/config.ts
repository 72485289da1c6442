import { z } from 'zod'

import {
  baseEnv,
  commaList,
  parseConfig,
  positiveInt,
  positiveNumber,
  postgresUrl,
} from '../../shared/config.ts'
import { FLIGHT_RAW_DATA_TOPIC } from '../../shared/events/index.ts'

/**
 * The Service's `timeoutSeconds` (knative/sweeper): one tick, its time budget and then the
 * alerts, may take this long.
 */
export const REVISION_TIMEOUT_SECONDS = 300

/** A tick's time budget leaves at least a minute of the revision timeout for what follows it. */
const SWEEP_TIME_BUDGET_MAX_SECONDS = REVISION_TIMEOUT_SECONDS - 60

/**
 * The KafkaSource's `spec.consumerGroup` in our manifests. Knative's own default is a random
 * `knative-kafka-source-<uuid>`, which the sweeper could not know, so the manifests name it.
 */
export const DEFAULT_KAFKA_CONSUMER_GROUP = 'skytrail-processor'

const nonNegativeInt = z.coerce.number().int().min(0)

/**
 * A positive whole number no larger than `max`. Larger values would pass start-up and then fail
 * every tick half way, in SQL (integer or timestamp out of range) or as a timer that fires at once.
 */
const positiveIntUpTo = (max: number, meaning: string) =>
  positiveInt.max(max, `must be at most ${max} (${meaning})`)

const HUNDRED_YEARS_IN_DAYS = 36_500

/** Environment variables the sweeper reads (only DATABASE_URL is required). */
export const envSchema = z.object({
  ...baseEnv,
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_MAX: positiveInt.default(4),
  /** Silence after which a flight has ended (the processor reads the same variable). */
  FLIGHT_TIMEOUT_SECONDS: positiveIntUpTo(86_400, 'a day').default(1200),
  /** Live rows ended per transaction: bounds how long one batch holds its row locks. */
  SWEEP_BATCH_SIZE: positiveIntUpTo(100_000, 'rows locked in one transaction').default(5000),
  /**
   * No new batch starts after this much time in one tick, so a tick ends well inside Knative's
   * revision timeout (300 s by default); the next tick carries on where this one stopped.
   */
  SWEEP_TIME_BUDGET_SECONDS: positiveNumber
    .max(
      SWEEP_TIME_BUDGET_MAX_SECONDS,
      `must be at most ${SWEEP_TIME_BUDGET_MAX_SECONDS} (a minute under the ${REVISION_TIMEOUT_SECONDS} s revision timeout)`
    )
    .default(60),
  /** The data-freshness alert fires when the newest processor write is older than this. */
  FRESHNESS_THRESHOLD_SECONDS: positiveInt.default(300),
  /** Unset: the Kafka lag check is off. */
  KAFKA_BROKERS: commaList.optional(),
  KAFKA_CONSUMER_GROUP: z.string().min(1).default(DEFAULT_KAFKA_CONSUMER_GROUP),
  KAFKA_TOPIC: z.string().min(1).default(FLIGHT_RAW_DATA_TOPIC),
  /** The kafka-lag alert fires when the group's total lag (messages) exceeds this... */
  KAFKA_LAG_THRESHOLD: nonNegativeInt.default(100),
  /** ...or when any single partition's lag exceeds this (a stuck partition). */
  KAFKA_PARTITION_LAG_THRESHOLD: nonNegativeInt.default(50),
  /** Upper bound for the whole lag check (connect, metadata, offsets). */
  KAFKA_TIMEOUT_MS: positiveIntUpTo(60_000, 'a minute').default(10_000),
  /** Finished flights older than this many days are deleted; unset keeps them forever. */
  RETENTION_DAYS: positiveIntUpTo(HUNDRED_YEARS_IN_DAYS, '100 years').optional(),
  /**
   * The processor's inbox is pruned after this many hours. Kafka keeps flight_raw_data for 6 h,
   * so a redelivery older than that cannot happen and its inbox row is no longer needed.
   */
  INBOX_RETENTION_HOURS: positiveIntUpTo(HUNDRED_YEARS_IN_DAYS * 24, '100 years').default(24),
  /** Tick reports and sent alert events are kept this many days. */
  SWEEPER_RUNS_RETENTION_DAYS: positiveIntUpTo(HUNDRED_YEARS_IN_DAYS, '100 years').default(7),
  /** Where alert CloudEvents go (a Broker, say); injected by a SinkBinding. Unset: logs only. */
  K_SINK: z.url({ protocol: /^https?$/ }).optional(),
  /** SinkBinding's `{"extensions":{...}}`, added to every alert event. */
  K_CE_OVERRIDES: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON such as {"extensions":{"k":"v"}}' })
        return z.NEVER
      }
    })
    .pipe(
      z.object({
        extensions: z
          .record(
            z.string().regex(/^[a-z0-9]+$/, 'extension names are lowercase letters and digits'),
            z.string()
          )
          .default({}),
      })
    )
    .optional(),
  /** Per attempt to deliver one alert event to K_SINK. */
  ALERT_SINK_TIMEOUT_MS: positiveIntUpTo(60_000, 'a minute').default(5_000),
})

function toConfig(env: z.output<typeof envSchema>) {
  return {
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    flightTimeoutSeconds: env.FLIGHT_TIMEOUT_SECONDS,
    sweepBatchSize: env.SWEEP_BATCH_SIZE,
    sweepTimeBudgetMs: env.SWEEP_TIME_BUDGET_SECONDS * 1000,
    freshnessThresholdSeconds: env.FRESHNESS_THRESHOLD_SECONDS,
    kafka: env.KAFKA_BROKERS
      ? {
          brokers: env.KAFKA_BROKERS,
          consumerGroup: env.KAFKA_CONSUMER_GROUP,
          topic: env.KAFKA_TOPIC,
          lagThreshold: env.KAFKA_LAG_THRESHOLD,
          partitionLagThreshold: env.KAFKA_PARTITION_LAG_THRESHOLD,
          timeoutMs: env.KAFKA_TIMEOUT_MS,
        }
      : undefined,
    retentionDays: env.RETENTION_DAYS,
    inboxRetentionHours: env.INBOX_RETENTION_HOURS,
    runsRetentionDays: env.SWEEPER_RUNS_RETENTION_DAYS,
    alertSink: env.K_SINK
      ? {
          url: env.K_SINK,
          extensions: env.K_CE_OVERRIDES?.extensions ?? {},
          timeoutMs: env.ALERT_SINK_TIMEOUT_MS,
        }
      : undefined,
  }
}

export type SweeperConfig = ReturnType<typeof toConfig>
export type KafkaLagConfig = NonNullable<SweeperConfig['kafka']>
export type AlertSinkConfig = NonNullable<SweeperConfig['alertSink']>

export function loadConfig(env?: Record<string, string | undefined>): SweeperConfig {
  return parseConfig(envSchema.transform(toConfig), env)
}
