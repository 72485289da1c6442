import type { ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'

import { isTransientDatabaseError } from '../../shared/db/errors.ts'
import { type ErrorBody, errorHandler, HttpError } from '../../shared/http/errors.ts'
import type { Logger } from '../../shared/logger.ts'

/**
 * The shared error handler for the dashboard's own errors (400s and 404s that name a parameter),
 * fixed texts for everything else. The dashboard is public: the driver's messages name hosts,
 * roles, databases and the SQL's values, and a GET has no event for a 422 to send back. The log
 * keeps the real error.
 */
export function publicErrorHandler(logger: Logger): ErrorHandler {
  const handle = errorHandler(logger)
  return function publicErrorHandler(err, c) {
    if (err instanceof HttpError || err instanceof HTTPException) {
      return handle(err, c)
    }
    if (isTransientDatabaseError(err)) {
      logger.warn({ err }, 'database unavailable')
      return c.json<ErrorBody>({ error: 'database unavailable' }, 503)
    }
    logger.error({ err }, 'unhandled error')
    return c.json<ErrorBody>({ error: 'internal error' }, 500)
  }
}
