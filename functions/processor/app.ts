import { Hono } from 'hono'
import type { Registry } from 'prom-client'
import { Counter, Histogram } from 'prom-client'

import { isTransientDatabaseError } from '../../shared/db/errors.ts'
import { limitBody } from '../../shared/http/body-limit.ts'
import { cloudEvents } from '../../shared/http/cloud-events.ts'
import { errorHandler } from '../../shared/http/errors.ts'
import { healthRoutes } from '../../shared/http/health.ts'
import { rejectOtherMethods } from '../../shared/http/method-not-allowed.ts'
import { metricsRoute } from '../../shared/http/metrics.ts'
import type { Logger } from '../../shared/logger.ts'
import type { Delivery, DeliverySummary, DeliveryWriter } from './delivery.ts'
import { ACCEPTED_EVENT_TYPES, toDeliveries } from './delivery.ts'

export interface ProcessorDeps {
  maxBodyBytes: number
  logger: Logger
  metrics: Registry
  writeDeliveries: DeliveryWriter
  readiness: () => Promise<unknown>
}

/**
 * The processor: POST / takes one KafkaSource delivery (or any CloudEvent in binary, structured
 * or batched mode) of OpenSky states and answers 200 with a summary only after the commit.
 */
export function createApp(deps: ProcessorDeps): Hono {
  const { logger } = deps
  const metrics = processorMetrics(deps.metrics)
  const app = new Hono()
  app.onError(errorHandler(logger))
  app.route('/', healthRoutes({ readiness: deps.readiness }))
  app.route('/', metricsRoute(deps.metrics))

  app.post(
    '/',
    limitBody(deps.maxBodyBytes, logger),
    cloudEvents({ types: ACCEPTED_EVENT_TYPES }),
    async (c) => {
      const stopTimer = metrics.duration.startTimer()
      const deliveries = toDeliveries(c.var.cloudEvents, c.var.cloudEventsMode === 'batched')
      const committed = (summary: DeliverySummary, { problems }: Delivery) => {
        countStates(metrics, summary)
        logger.info(
          { delivery: summary, ...(problems.length > 0 && { problems }) },
          summary.duplicate ? 'duplicate delivery skipped' : 'delivery committed'
        )
      }
      let summaries: DeliverySummary[]
      try {
        summaries = await deps.writeDeliveries(deliveries, committed)
      } catch (err) {
        if (isTransientDatabaseError(err)) {
          metrics.databaseErrors.inc()
        }
        throw err
      }
      stopTimer()
      return c.json(c.var.cloudEventsMode === 'batched' ? { deliveries: summaries } : summaries[0])
    }
  )
  rejectOtherMethods(app)
  return app
}

function processorMetrics(registry: Registry) {
  return {
    states: new Counter({
      name: 'skytrail_processor_states_total',
      help: 'States received, by outcome (accepted, or dropped and why)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'skytrail_processor_deliveries_total',
      help: 'Events committed, and redeliveries recognised and skipped',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'skytrail_processor_delivery_duration_seconds',
      help: 'Time from a decoded request to its committed transaction',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    databaseErrors: new Counter({
      name: 'skytrail_processor_database_errors_total',
      help: 'Deliveries answered 503 because the database was unreachable or saturated',
      registers: [registry],
    }),
    flights: new Counter({
      name: 'skytrail_processor_flights_total',
      help: 'Flights started and ended by the processor, waypoints appended',
      labelNames: ['change'] as const,
      registers: [registry],
    }),
  }
}

function countStates(metrics: ReturnType<typeof processorMetrics>, summary: DeliverySummary) {
  metrics.deliveries.inc({ result: summary.duplicate ? 'duplicate' : 'committed' })
  if (summary.duplicate) {
    return
  }
  metrics.states.inc({ outcome: 'accepted' }, summary.accepted - summary.dropped.stale)
  metrics.states.inc({ outcome: 'invalid' }, summary.dropped.invalid)
  metrics.states.inc({ outcome: 'no_position' }, summary.dropped.noPosition)
  metrics.states.inc({ outcome: 'duplicate' }, summary.dropped.duplicate)
  metrics.states.inc({ outcome: 'stale' }, summary.dropped.stale)
  metrics.flights.inc({ change: 'started' }, summary.flightsStarted)
  metrics.flights.inc({ change: 'ended' }, summary.flightsEnded)
  metrics.flights.inc({ change: 'waypoint' }, summary.waypointsAppended)
}
