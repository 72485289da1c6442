import { Hono } from 'hono'
import { compress } from 'hono/compress'
import { Gauge, Histogram, Registry } from 'prom-client'

import type { Pool } from '../../shared/db/pool.ts'
import { pingDatabase } from '../../shared/db/pool.ts'
import { healthRoutes } from '../../shared/http/health.ts'
import { rejectOtherMethods } from '../../shared/http/method-not-allowed.ts'
import { createMetricsRegistry, metricsRoute } from '../../shared/http/metrics.ts'
import type { Logger } from '../../shared/logger.ts'
import { apiRoutes } from './api.ts'
import type { ClientAssets } from './client-assets.ts'
import type { DashboardConfig } from './config.ts'
import { publicErrorHandler } from './errors.ts'
import { pageRoutes } from './page.ts'
import { securityHeaders } from './security.ts'

export interface DashboardDeps {
  config: DashboardConfig
  logger: Logger
  /** A pool whose connections are read-only: `createPool(url, { readOnly: true, ... })`. */
  pool: Pool
  assets: ClientAssets
  clock?: () => Date
  metrics?: Registry
}

/** The dashboard: the page and its assets, the JSON API under /api, health and metrics. */
export function createApp(deps: DashboardDeps): Hono {
  const { config, logger, pool, assets } = deps
  const clock = deps.clock ?? (() => new Date())
  // Without /metrics nobody reads the registry: skip the default process collectors then.
  const registry =
    deps.metrics ?? (config.metricsEnabled ? createMetricsRegistry('dashboard') : new Registry())
  const requestDuration = new Histogram({
    name: 'dashboard_http_request_duration_seconds',
    help: 'Time to answer a request, by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const liveAircraft = new Gauge({
    name: 'dashboard_live_aircraft',
    help: 'Aircraft in the latest /api/live answer built from the database',
    registers: [registry],
  })

  const app = new Hono()
  app.onError(publicErrorHandler(logger))
  app.use(securityHeaders(config.tileUrl))
  app.use(async function measure(c, next) {
    const started = performance.now()
    await next()
    requestDuration.observe(
      { method: c.req.method, route: c.req.routePath, status: String(c.res.status) },
      (performance.now() - started) / 1000
    )
  })
  // /api/live and the assets compress themselves once per answer; this covers the rest.
  app.use('/api/*', compress())

  app.route('/', healthRoutes({ readiness: () => pingDatabase(pool) }))
  if (config.metricsEnabled) {
    app.route('/', metricsRoute(registry))
  }
  app.route(
    '/api',
    apiRoutes({ config, pool, clock, onLiveBuilt: (count) => liveAircraft.set(count) })
  )
  app.route('/', pageRoutes(config, assets))
  rejectOtherMethods(app)
  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404)
      : c.text('Not found', 404)
  )
  return app
}
