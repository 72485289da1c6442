import { Hono } from 'hono'
import { collectDefaultMetrics, Registry } from 'prom-client'

/** A registry per app, so tests can build many apps without metric name clashes. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  return registry
}

/** `GET /metrics` in the Prometheus text format. */
export function metricsRoute(registry: Registry): Hono {
  const app = new Hono()
  app.get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType)
    return c.body(await registry.metrics())
  })
  return app
}
