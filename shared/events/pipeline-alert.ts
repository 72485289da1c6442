import { z } from 'zod'

/**
 * Alerts the sweeper watches; each is one row of `pipeline_alerts` (its name is the key) and the
 * `subject` of its CloudEvents.
 */
export const ALERT_NAME = Object.freeze({
  /** The processor has not committed a delivery for longer than the freshness threshold. */
  dataFreshness: 'data-freshness',
  /** The KafkaSource consumer group is too far behind the end of flight_raw_data. */
  kafkaLag: 'kafka-lag',
})

export type AlertName = (typeof ALERT_NAME)[keyof typeof ALERT_NAME]

/** `source` of the sweeper's alert events. */
export const ALERT_EVENT_SOURCE = '/functions/sweeper'

/**
 * Data of {@link ALERT_RAISED_EVENT_TYPE} and {@link ALERT_CLEARED_EVENT_TYPE} events. The event
 * `id` is stable per transition, so a receiver that sees it twice (a send retried after a lost
 * acknowledgement) can drop the copy; `time` is when the transition happened.
 */
export const pipelineAlertEventDataSchema = z.object({
  alert: z.string(),
  state: z.enum(['raised', 'cleared']),
  /** What was measured: data age in seconds, or total lag in messages; null when unknown. */
  value: z.number().nullable(),
  threshold: z.number(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  raisedAt: z.iso.datetime({ offset: true }).nullable(),
  clearedAt: z.iso.datetime({ offset: true }).nullable(),
})

export type PipelineAlertEventData = z.infer<typeof pipelineAlertEventDataSchema>
