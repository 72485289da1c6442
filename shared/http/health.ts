import { Hono } from 'hono'

import { databaseErrorCode } from '../db/errors.ts'

export interface HealthOptions {
  /** Resolves when the function can do its work (e.g. the database answers); throws otherwise. */
  readiness?: () => Promise<unknown>
}

/**
 * `GET /health/liveness` answers while the process is sound; `GET /health/readiness` also checks
 * the function's dependencies, so Knative routes no traffic to a pod that cannot serve it.
 */
export function healthRoutes({ readiness }: HealthOptions = {}): Hono {
  const app = new Hono()
  app.get('/health/liveness', (c) => c.json({ status: 'ok' }))
  app.get('/health/readiness', async (c) => {
    try {
      await readiness?.()
      return c.json({ status: 'ok' })
    } catch (err) {
      // Only the error's code: readiness may be public (the dashboard) and messages name hosts.
      return c.json({ status: 'unavailable', error: databaseErrorCode(err) }, 503)
    }
  })
  return app
}
