import { performance } from 'node:perf_hooks'

import type { CloudEvent } from 'cloudevents'
import { Hono } from 'hono'
import type { Registry } from 'prom-client'

import { isTransientDatabaseError } from '../../shared/db/errors.ts'
import type { Pool } from '../../shared/db/pool.ts'
import { pingDatabase } from '../../shared/db/pool.ts'
import { PING_EVENT_TYPE } from '../../shared/events/index.ts'
import { limitBody, MAX_TICK_BODY_BYTES } from '../../shared/http/body-limit.ts'
import { cloudEvents } from '../../shared/http/cloud-events.ts'
import { errorHandler } from '../../shared/http/errors.ts'
import { healthRoutes } from '../../shared/http/health.ts'
import { rejectOtherMethods } from '../../shared/http/method-not-allowed.ts'
import { createMetricsRegistry, metricsRoute } from '../../shared/http/metrics.ts'
import type { Logger } from '../../shared/logger.ts'
import type { SendCloudEvent } from './alert-sink.ts'
import { postCloudEvent } from './alert-sink.ts'
import type { SweeperConfig } from './config.ts'
import type { MeasureLag } from './lag-probe.ts'
import { createLagProbe } from './lag-probe.ts'
import { createSweeperMetrics } from './metrics.ts'
import { runTick } from './tick.ts'

export interface SweeperDeps {
  config: SweeperConfig
  logger: Logger
  pool: Pool
  registry?: Registry
  /** Defaults to a kafkajs admin probe when `config.kafka` is set. */
  measureLag?: MeasureLag
  /** Defaults to an HTTP POST in binary content mode. */
  sendAlertEvent?: SendCloudEvent
  clock?: () => Date
}

/**
 * The sweeper: POST `/` takes a PingSource tick (`dev.knative.sources.ping`) and answers with the
 * tick's report. 200 only after the work committed; 503 (which PingSource retries, unlike 500)
 * when the database is unreachable, or when Kafka is, after the database work is done. A consumer
 * group with no committed offsets on the topic gets 200 with the reason in `lag.error`.
 */
export function createApp(deps: SweeperDeps): Hono {
  const { config, logger, pool } = deps
  const registry = deps.registry ?? createMetricsRegistry('sweeper')
  const metrics = createSweeperMetrics(registry)
  const measureLag = config.kafka
    ? (deps.measureLag ?? createLagProbe(config.kafka, logger))
    : undefined
  const tickDeps = {
    config,
    logger,
    pool,
    metrics,
    measureLag,
    sendAlertEvent: deps.sendAlertEvent ?? postCloudEvent,
    clock: deps.clock ?? (() => new Date()),
  }

  if (config.kafka) {
    const { brokers, consumerGroup, topic } = config.kafka
    logger.info({ brokers, consumerGroup, topic }, 'Kafka lag check on')
  } else {
    logger.info('Kafka lag check off: KAFKA_BROKERS is not set')
  }
  if (!config.alertSink) {
    logger.info('alert events off: K_SINK is not set; alerts are logged and exported as metrics')
  }

  const app = new Hono()
  app.onError(errorHandler(logger))
  app.route('/', healthRoutes({ readiness: () => pingDatabase(pool) }))
  app.route('/', metricsRoute(registry))

  app.post(
    '/',
    limitBody(MAX_TICK_BODY_BYTES, logger),
    cloudEvents({ types: [PING_EVENT_TYPE] }),
    async (c) => {
      const [event] = c.var.cloudEvents as [CloudEvent<unknown>]

      const started = performance.now()
      let report
      try {
        report = await runTick(tickDeps, { id: event.id, source: event.source })
      } catch (err) {
        const seconds = (performance.now() - started) / 1000
        metrics.recordTick(
          isTransientDatabaseError(err) ? 'database_unavailable' : 'error',
          seconds,
          0
        )
        throw err
      }

      const seconds = report.durationMs / 1000
      const ended = report.flightEnd.flightsEnded
      const summary = {
        tick: report.tick.id,
        flightsEnded: ended,
        batches: report.flightEnd.batches,
        complete: report.flightEnd.complete,
        dataAgeSeconds: report.freshness.ageSeconds,
        lag: report.lag.enabled && report.lag.available ? report.lag.total : null,
        raised: report.alerts.raised,
        cleared: report.alerts.cleared,
        inboxPruned: report.retention.inboxPruned,
        durationMs: report.durationMs,
      }
      if (report.lag.enabled && !report.lag.available) {
        if (report.lag.groupState !== undefined) {
          // A group without committed offsets is a setting to fix, not an outage: retries of the
          // tick would find the same, so it succeeds and the report and the log say why.
          metrics.recordTick('kafka_no_committed_offsets', seconds, ended)
          logger.warn(summary, `tick done without Kafka lag: ${report.lag.error}`)
          return c.json(report)
        }
        metrics.recordTick('kafka_unavailable', seconds, ended)
        logger.warn(summary, 'tick done without Kafka lag')
        // The database work is committed and a repeated tick is harmless, so let PingSource retry.
        return c.json(
          {
            error: `Kafka unavailable: ${report.lag.error} (the rest of the tick was done and stored)`,
            details: report,
          },
          503
        )
      }
      metrics.recordTick('ok', seconds, ended)
      logger.info(summary, 'tick done')
      return c.json(report)
    }
  )

  rejectOtherMethods(app)
  return app
}
