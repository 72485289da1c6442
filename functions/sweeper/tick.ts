import { performance } from 'node:perf_hooks'

import { pruneSentAlertEvents } from '../../shared/db/alert-events.ts'
import { listPipelineAlerts } from '../../shared/db/alerts.ts'
import { endSilentFlightsBatch } from '../../shared/db/end-silent-flights.ts'
import { readPipelineFreshness } from '../../shared/db/freshness.ts'
import type { Pool } from '../../shared/db/pool.ts'
import { deleteExpiredFlightsBatch, pruneProcessedEventsBatch } from '../../shared/db/retention.ts'
import { insertSweeperRun, pruneSweeperRuns } from '../../shared/db/sweeper-runs.ts'
import { ALERT_NAME } from '../../shared/events/pipeline-alert.ts'
import type { PartitionLag } from '../../shared/kafka/consumer-lag.ts'
import { NoCommittedOffsetsError } from '../../shared/kafka/consumer-lag.ts'
import type { Logger } from '../../shared/logger.ts'
import type { AlertDelivery, SendCloudEvent } from './alert-sink.ts'
import { deliverAlertEvents } from './alert-sink.ts'
import type { AlertEvaluation } from './alerts.ts'
import { applyAlert, evaluateFreshness, evaluateKafkaLag, lagCheckOff } from './alerts.ts'
import type { SweeperConfig } from './config.ts'
import type { MeasureLag } from './lag-probe.ts'
import type { SweeperMetrics } from './metrics.ts'

export interface FlightEndReport {
  flightsEnded: number
  liveRowsDeleted: number
  batches: number
  batchSize: number
  timeoutSeconds: number
  slowestBatchMs: number
  /** False when the time budget stopped the tick before the backlog was cleared. */
  complete: boolean
}

export interface FreshnessReport {
  lastWriteAt: string | null
  lastDataTime: string | null
  ageSeconds: number | null
  thresholdSeconds: number
  stale: boolean
  message: string
}

export type LagReport =
  | { enabled: false }
  | {
      enabled: true
      available: true
      groupId: string
      topic: string
      total: number
      threshold: number
      partitionThreshold: number
      partitions: PartitionLag[]
    }
  | {
      enabled: true
      available: false
      groupId: string
      topic: string
      error: string
      /**
       * Set when Kafka answered but the group has no committed offsets on the topic (its state
       * from the coordinator, `Dead` when Kafka does not know it): a retry cannot help.
       */
      groupState?: string
    }

export interface AlertsReport {
  raised: string[]
  cleared: string[]
  active: string[]
  notifications: ({ enabled: true } & AlertDelivery) | { enabled: false }
}

export interface RetentionReport {
  inboxPruned: number
  /** Null when RETENTION_DAYS is not set. */
  flightsDeleted: number | null
  runsPruned: number
  alertEventsPruned: number
  complete: boolean
}

/** What one tick did; the response body, and the `report` column of `sweeper_runs`. */
export interface TickReport {
  tick: { id: string; source: string }
  startedAt: string
  finishedAt: string
  durationMs: number
  flightEnd: FlightEndReport
  freshness: FreshnessReport
  lag: LagReport
  alerts: AlertsReport
  retention: RetentionReport
}

export interface TickDeps {
  config: SweeperConfig
  logger: Logger
  pool: Pool
  metrics: SweeperMetrics
  measureLag: MeasureLag | undefined
  sendAlertEvent: SendCloudEvent
  clock: () => Date
}

/**
 * One sweeper tick: end silent flights, check freshness and Kafka lag, raise or clear alerts,
 * send queued alert events, prune, and store the report. Every step commits on its own and is
 * safe to repeat, so a tick that fails half way (database gone) is completed by the next one;
 * database errors propagate, Kafka and sink failures are reported and do not stop the tick.
 */
export async function runTick(
  deps: TickDeps,
  tick: { id: string; source: string }
): Promise<TickReport> {
  const { config, pool, metrics } = deps
  const startedAt = deps.clock()
  const started = performance.now()
  const deadline = started + config.sweepTimeBudgetMs
  const withinBudget = () => performance.now() < deadline

  const flightEnd = await endSilentFlights(pool, config, withinBudget)

  const freshnessState = await readPipelineFreshness(pool)
  const freshnessAlert = evaluateFreshness(freshnessState, config.freshnessThresholdSeconds)
  const freshness: FreshnessReport = {
    lastWriteAt: freshnessState.lastWriteAt?.toISOString() ?? null,
    lastDataTime: freshnessState.lastDataTime?.toISOString() ?? null,
    ageSeconds: freshnessState.ageSeconds,
    thresholdSeconds: config.freshnessThresholdSeconds,
    stale: freshnessAlert.active,
    message: freshnessAlert.message,
  }
  metrics.recordDataAge(freshnessState.ageSeconds)

  const { lag, lagAlert } = await checkLag(deps)

  const evaluations = [freshnessAlert]
  if (lagAlert) {
    evaluations.push(lagAlert)
  } else if (!config.kafka) {
    const stored = (await listPipelineAlerts(pool)).find(
      (alert) => alert.name === ALERT_NAME.kafkaLag && alert.active
    )
    if (stored) {
      evaluations.push(lagCheckOff(stored, deps.clock()))
    }
  }
  const alerts = await applyAlerts(deps, evaluations)

  const retention = await applyRetention(pool, config, withinBudget)

  const finishedAt = deps.clock()
  const report: TickReport = {
    tick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    flightEnd,
    freshness,
    lag,
    alerts,
    retention,
  }
  await insertSweeperRun(pool, {
    startedAt,
    finishedAt,
    flightsEnded: flightEnd.flightsEnded,
    report,
  })
  return report
}

async function endSilentFlights(
  pool: Pool,
  config: SweeperConfig,
  withinBudget: () => boolean
): Promise<FlightEndReport> {
  const report: FlightEndReport = {
    flightsEnded: 0,
    liveRowsDeleted: 0,
    batches: 0,
    batchSize: config.sweepBatchSize,
    timeoutSeconds: config.flightTimeoutSeconds,
    slowestBatchMs: 0,
    complete: true,
  }
  // At least one batch per tick, so even a tick that starts late makes progress.
  for (;;) {
    const batchStarted = performance.now()
    const batch = await endSilentFlightsBatch(pool, {
      timeoutSeconds: config.flightTimeoutSeconds,
      batchSize: config.sweepBatchSize,
    })
    if (batch.liveRowsDeleted === 0) {
      break
    }
    report.slowestBatchMs = Math.max(
      report.slowestBatchMs,
      Math.round(performance.now() - batchStarted)
    )
    report.batches++
    report.flightsEnded += batch.flightsEnded
    report.liveRowsDeleted += batch.liveRowsDeleted
    // A short batch means the backlog is gone (or the rest is locked by a processor right now,
    // which ends it or brings it back to life; the next tick picks up what is left).
    if (batch.liveRowsDeleted < config.sweepBatchSize) {
      break
    }
    if (!withinBudget()) {
      report.complete = false
      break
    }
  }
  return report
}

async function checkLag(
  deps: TickDeps
): Promise<{ lag: LagReport; lagAlert: AlertEvaluation | undefined }> {
  const { config, measureLag, metrics, logger } = deps
  if (!config.kafka || !measureLag) {
    return { lag: { enabled: false }, lagAlert: undefined }
  }
  const { consumerGroup: groupId, topic, lagThreshold, partitionLagThreshold } = config.kafka
  try {
    const measuredAt = deps.clock()
    const measured = await measureLag()
    metrics.recordLag(measured)
    return {
      lag: {
        enabled: true,
        available: true,
        groupId,
        topic,
        total: measured.total,
        threshold: lagThreshold,
        partitionThreshold: partitionLagThreshold,
        partitions: measured.partitions,
      },
      lagAlert: evaluateKafkaLag(
        measured,
        { threshold: lagThreshold, partitionThreshold: partitionLagThreshold },
        measuredAt
      ),
    }
  } catch (err) {
    // No stale figures on /metrics, and the kafka-lag alert keeps its state: an unknown lag
    // neither raises nor clears it.
    metrics.clearLag()
    const error = err instanceof Error ? err.message : String(err)
    // Kafka answered, but the group has no position on the topic: a setting to check.
    const groupState = err instanceof NoCommittedOffsetsError ? err.groupState : undefined
    logger.warn(
      { err, groupId, topic, groupState },
      groupState === undefined
        ? `Kafka lag unavailable: ${error}`
        : `Kafka lag not measured: ${error} (check KAFKA_CONSUMER_GROUP and KAFKA_TOPIC)`
    )
    return {
      lag: { enabled: true, available: false, groupId, topic, error, groupState },
      lagAlert: undefined,
    }
  }
}

async function applyAlerts(deps: TickDeps, evaluations: AlertEvaluation[]): Promise<AlertsReport> {
  const { config, logger, pool, metrics } = deps
  const raised: string[] = []
  const cleared: string[] = []
  for (const evaluation of evaluations) {
    const applied = await applyAlert(pool, evaluation, { queueEvent: Boolean(config.alertSink) })
    if (applied.transition === null) {
      continue
    }
    // Logged after the commit and only by the sweeper whose transaction made the transition.
    ;(applied.transition === 'raised' ? raised : cleared).push(evaluation.name)
    logger.warn(
      {
        alert: evaluation.name,
        state: applied.transition,
        value: evaluation.value,
        threshold: evaluation.threshold,
        details: evaluation.details,
      },
      `alert ${applied.transition}: ${evaluation.name}: ${evaluation.message}`
    )
  }

  let notifications: AlertsReport['notifications'] = { enabled: false }
  if (config.alertSink) {
    const delivery = await deliverAlertEvents(pool, config.alertSink, deps.sendAlertEvent)
    metrics.recordNotifications(delivery)
    if (delivery.refused > 0) {
      logger.error(
        { sink: config.alertSink.url, refused: delivery.refused, error: delivery.error },
        `alert events refused by the sink for good, set aside: ${delivery.error}`
      )
    }
    if (delivery.failed > 0) {
      logger.warn(
        { sink: config.alertSink.url, pending: delivery.pending, error: delivery.error },
        `alert event not delivered, retried on the next tick: ${delivery.error}`
      )
    }
    notifications = { enabled: true, ...delivery }
  }

  const states = await listPipelineAlerts(pool)
  metrics.recordAlerts(states)
  return {
    raised,
    cleared,
    active: states.filter((alert) => alert.active).map((alert) => alert.name),
    notifications,
  }
}

async function applyRetention(
  pool: Pool,
  config: SweeperConfig,
  withinBudget: () => boolean
): Promise<RetentionReport> {
  const batchSize = config.sweepBatchSize
  const report: RetentionReport = {
    inboxPruned: 0,
    flightsDeleted: config.retentionDays === undefined ? null : 0,
    runsPruned: 0,
    alertEventsPruned: 0,
    complete: true,
  }
  const drain = async (deleteBatch: () => Promise<number>): Promise<number> => {
    let deleted = 0
    for (;;) {
      const count = await deleteBatch()
      deleted += count
      if (count < batchSize) {
        return deleted
      }
      if (!withinBudget()) {
        report.complete = false
        return deleted
      }
    }
  }
  report.inboxPruned = await drain(() =>
    pruneProcessedEventsBatch(pool, { hours: config.inboxRetentionHours, batchSize })
  )
  if (config.retentionDays !== undefined) {
    const days = config.retentionDays
    report.flightsDeleted = await drain(() => deleteExpiredFlightsBatch(pool, { days, batchSize }))
  }
  // Both grow by a row per tick or per transition at most: one statement each is bounded.
  report.runsPruned = await pruneSweeperRuns(pool, config.runsRetentionDays)
  report.alertEventsPruned = await pruneSentAlertEvents(pool, config.runsRetentionDays)
  return report
}
