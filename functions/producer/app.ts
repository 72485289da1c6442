import { Hono } from 'hono'
import type { Registry } from 'prom-client'

import { PING_EVENT_TYPE } from '../../shared/events/index.ts'
import { limitBody, MAX_TICK_BODY_BYTES } from '../../shared/http/body-limit.ts'
import { cloudEvents } from '../../shared/http/cloud-events.ts'
import { errorHandler } from '../../shared/http/errors.ts'
import { healthRoutes } from '../../shared/http/health.ts'
import { rejectOtherMethods } from '../../shared/http/method-not-allowed.ts'
import { metricsRoute } from '../../shared/http/metrics.ts'
import type { Logger } from '../../shared/logger.ts'
import type { Poller } from './poller.ts'

/** A failed tick's status by reason; any other reason is the source's (OpenSky) failure. */
const TICK_FAILURE_STATUS: Record<string, 500 | 503> = {
  sink: 503,
  'sink-rejected': 500,
  internal: 500,
}

export interface ProducerAppDeps {
  poller: Poller
  logger: Logger
  registry: Registry
  now?: () => number
}

/**
 * The producer's HTTP face. `POST /` takes a PingSource tick and answers with the tick's report:
 * 200 when it polled or skipped (busy, pacing, rate limit), 502 when OpenSky failed, 503 when the
 * delivery failed transiently (the events are kept and PingSource's retry sends them), 500 when
 * the sink refused events for good (dropped; a retry cannot help) and on a bug. PingSource
 * retries 502 and 503, not 500.
 */
export function createApp(deps: ProducerAppDeps): Hono {
  const { poller, logger, registry } = deps
  const now = deps.now ?? Date.now
  const app = new Hono()
  app.onError(errorHandler(logger))
  app.route('/', healthRoutes())
  app.route('/', metricsRoute(registry))

  app.post(
    '/',
    limitBody(MAX_TICK_BODY_BYTES, logger),
    cloudEvents({ types: [PING_EVENT_TYPE] }),
    async (c) => {
      const report = await poller.tick()
      if (report.status === 'failed') {
        const status = TICK_FAILURE_STATUS[report.reason ?? ''] ?? 502
        return c.json({ error: report.message ?? 'tick failed', details: report }, status)
      }
      return c.json(report)
    }
  )

  app.get('/status', (c) =>
    c.json({
      source: poller.source.name,
      sink: poller.sink.kind,
      pendingEvents: poller.pendingEvents(),
      lastTick: poller.lastReport(),
      ...poller.source.status?.(now()),
    })
  )

  rejectOtherMethods(app)
  return app
}
