import type { Registry } from 'prom-client'
import { Counter, Gauge, Histogram } from 'prom-client'

import type { PipelineAlert } from '../../shared/db/alerts.ts'
import type { ConsumerLag } from '../../shared/kafka/consumer-lag.ts'
import type { AlertDelivery } from './alert-sink.ts'

export type TickOutcome =
  'ok' | 'kafka_unavailable' | 'kafka_no_committed_offsets' | 'database_unavailable' | 'error'

/**
 * The sweeper's Prometheus metrics. Alert gauges are set from the database after every tick, so
 * every pod reports the shared state, not just the transitions it happened to see.
 */
export function createSweeperMetrics(registry: Registry) {
  const registers = [registry]
  const alertActive = new Gauge({
    name: 'skytrail_alert_active',
    help: 'Whether a pipeline alert is active (1) or not (0)',
    labelNames: ['alert'],
    registers,
  })
  const dataAge = new Gauge({
    name: 'skytrail_data_age_seconds',
    help: 'Seconds since the processor last committed a delivery (newest pipeline_status write)',
    registers,
  })
  const partitionLag = new Gauge({
    name: 'skytrail_kafka_consumer_lag_messages',
    help: 'Records of the topic partition the consumer group has not consumed yet',
    labelNames: ['topic', 'partition'],
    registers,
  })
  const groupLag = new Gauge({
    name: 'skytrail_kafka_consumer_group_lag_messages',
    help: 'Records of the topic the consumer group has not consumed yet, all partitions',
    labelNames: ['topic'],
    registers,
  })
  const flightsEnded = new Counter({
    name: 'skytrail_sweeper_flights_ended_total',
    help: 'Flights ended because their aircraft went silent',
    registers,
  })
  const ticks = new Counter({
    name: 'skytrail_sweeper_ticks_total',
    help: 'Ticks handled, by outcome',
    labelNames: ['outcome'],
    registers,
  })
  const tickDuration = new Histogram({
    name: 'skytrail_sweeper_tick_duration_seconds',
    help: 'Duration of a tick',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  })
  const alertNotifications = new Counter({
    name: 'skytrail_sweeper_alert_notifications_total',
    help: 'Alert CloudEvents for K_SINK, by outcome: sent, failed (retried), refused (set aside)',
    labelNames: ['outcome'],
    registers,
  })

  return {
    recordAlerts(alerts: PipelineAlert[]) {
      for (const alert of alerts) {
        alertActive.set({ alert: alert.name }, alert.active ? 1 : 0)
      }
    },
    recordDataAge(ageSeconds: number | null) {
      if (ageSeconds === null) {
        dataAge.reset()
      } else {
        dataAge.set(ageSeconds)
      }
    },
    recordLag(lag: ConsumerLag) {
      // Reset first so a partition that no longer exists does not keep its last value.
      partitionLag.reset()
      for (const { partition, lag: value } of lag.partitions) {
        partitionLag.set({ topic: lag.topic, partition: String(partition) }, value)
      }
      groupLag.set({ topic: lag.topic }, lag.total)
    },
    /** The lag is unknown now: a scrape must not show the last measured one as current. */
    clearLag() {
      partitionLag.reset()
      groupLag.reset()
    },
    recordTick(outcome: TickOutcome, seconds: number, ended: number) {
      ticks.inc({ outcome })
      tickDuration.observe(seconds)
      flightsEnded.inc(ended)
    },
    recordNotifications({ sent, failed, refused }: AlertDelivery) {
      alertNotifications.inc({ outcome: 'sent' }, sent)
      alertNotifications.inc({ outcome: 'failed' }, failed)
      alertNotifications.inc({ outcome: 'refused' }, refused)
    },
  }
}

export type SweeperMetrics = ReturnType<typeof createSweeperMetrics>
