import { insertAlertEvent } from '../../shared/db/alert-events.ts'
import type { PipelineAlert } from '../../shared/db/alerts.ts'
import { lockPipelineAlert, updatePipelineAlert } from '../../shared/db/alerts.ts'
import type { PipelineFreshness } from '../../shared/db/freshness.ts'
import type { Pool } from '../../shared/db/pool.ts'
import { withTransaction } from '../../shared/db/pool.ts'
import { ALERT_CLEARED_EVENT_TYPE, ALERT_RAISED_EVENT_TYPE } from '../../shared/events/index.ts'
import type { AlertName, PipelineAlertEventData } from '../../shared/events/pipeline-alert.ts'
import { ALERT_NAME } from '../../shared/events/pipeline-alert.ts'
import type { ConsumerLag } from '../../shared/kafka/consumer-lag.ts'

/** What one tick measured for one alert: whether it should be active now, and why. */
export interface AlertEvaluation {
  name: AlertName
  active: boolean
  value: number | null
  threshold: number
  message: string
  details: Record<string, unknown>
  /** When the measurement was taken: an older one never overwrites a newer stored one. */
  measuredAt: Date
}

export type AlertTransition = 'raised' | 'cleared'

export interface AppliedAlert {
  evaluation: AlertEvaluation
  /** Set only for the one sweeper whose transaction changed the alert's state. */
  transition: AlertTransition | null
  eventData: PipelineAlertEventData
}

/** Stale when the newest processor write is older than the threshold, or when there is none. */
export function evaluateFreshness(
  freshness: PipelineFreshness,
  thresholdSeconds: number
): AlertEvaluation {
  const details = {
    lastWriteAt: freshness.lastWriteAt?.toISOString() ?? null,
    lastDataTime: freshness.lastDataTime?.toISOString() ?? null,
    streams: freshness.streams,
  }
  if (freshness.ageSeconds === null) {
    return {
      name: ALERT_NAME.dataFreshness,
      active: true,
      value: null,
      threshold: thresholdSeconds,
      message: 'no data written yet: pipeline_status is empty',
      details,
      measuredAt: freshness.measuredAt,
    }
  }
  const age = Math.round(freshness.ageSeconds)
  const stale = freshness.ageSeconds > thresholdSeconds
  return {
    name: ALERT_NAME.dataFreshness,
    active: stale,
    value: freshness.ageSeconds,
    threshold: thresholdSeconds,
    message: stale
      ? `no data written for ${age} s (threshold ${thresholdSeconds} s)`
      : `data written ${age} s ago (threshold ${thresholdSeconds} s)`,
    details,
    measuredAt: freshness.measuredAt,
  }
}

/** Lagging when the total exceeds its threshold or any one partition exceeds its own. */
export function evaluateKafkaLag(
  lag: ConsumerLag,
  { threshold, partitionThreshold }: { threshold: number; partitionThreshold: number },
  measuredAt: Date
): AlertEvaluation {
  const lagging = lag.partitions.filter((partition) => partition.lag > partitionThreshold)
  const totalOver = lag.total > threshold
  const active = totalOver || lagging.length > 0
  const reasons: string[] = []
  if (totalOver) {
    reasons.push(`total lag ${lag.total} > ${threshold}`)
  }
  if (lagging.length > 0) {
    const list = lagging.map(({ partition, lag: value }) => `${partition} (${value})`).join(', ')
    reasons.push(`partitions over ${partitionThreshold}: ${list}`)
  }
  return {
    name: ALERT_NAME.kafkaLag,
    active,
    value: lag.total,
    threshold,
    message: active
      ? `consumer group ${lag.groupId} lags on ${lag.topic}: ${reasons.join('; ')}`
      : `consumer group ${lag.groupId} lag on ${lag.topic} is ${lag.total} (threshold ${threshold}, ${partitionThreshold} per partition)`,
    details: {
      groupId: lag.groupId,
      topic: lag.topic,
      partitionThreshold,
      laggingPartitions: lagging.map(({ partition }) => partition),
      partitions: lag.partitions,
    },
    measuredAt,
  }
}

/**
 * With the lag check off (no KAFKA_BROKERS) a lag alert raised before would stay active forever:
 * this clears it, keeping the threshold it was raised with.
 */
export function lagCheckOff(stored: PipelineAlert, measuredAt: Date): AlertEvaluation {
  return {
    name: ALERT_NAME.kafkaLag,
    active: false,
    value: null,
    threshold: stored.threshold ?? 0,
    message: 'the Kafka lag check is off: KAFKA_BROKERS is not set',
    details: {},
    measuredAt,
  }
}

/**
 * Stores the evaluation in `pipeline_alerts` and, when that changes the alert's state, queues the
 * raised or cleared event in the outbox (if `queueEvent`), all in one transaction under the
 * alert's row lock. Of several sweepers evaluating at once, exactly one sees the transition;
 * the others find the state already changed. An evaluation measured before the stored one is
 * dropped: it would undo a newer state, and raise or clear the alert a second time.
 */
export async function applyAlert(
  pool: Pool,
  evaluation: AlertEvaluation,
  { queueEvent }: { queueEvent: boolean }
): Promise<AppliedAlert> {
  return withTransaction(pool, async (client) => {
    const before = await lockPipelineAlert(client, evaluation.name)
    const superseded = before.measuredAt !== null && before.measuredAt > evaluation.measuredAt
    const after = superseded ? before : await updatePipelineAlert(client, evaluation)
    const transition: AlertTransition | null =
      before.active === after.active ? null : after.active ? 'raised' : 'cleared'
    const eventData: PipelineAlertEventData = {
      alert: evaluation.name,
      state: after.active ? 'raised' : 'cleared',
      value: evaluation.value,
      threshold: evaluation.threshold,
      message: evaluation.message,
      details: evaluation.details,
      raisedAt: after.raisedAt?.toISOString() ?? null,
      clearedAt: after.active ? null : (after.clearedAt?.toISOString() ?? null),
    }
    if (transition && queueEvent) {
      await insertAlertEvent(client, {
        alert: evaluation.name,
        type: transition === 'raised' ? ALERT_RAISED_EVENT_TYPE : ALERT_CLEARED_EVENT_TYPE,
        data: eventData,
      })
    }
    return { evaluation, transition, eventData }
  })
}
