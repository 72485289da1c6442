import type { CloudEvent } from 'cloudevents'
import type { ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

import { databaseErrorCode, isInvalidDataError, isTransientDatabaseError } from '../db/errors.ts'
import type { Logger } from '../logger.ts'

/**
 * An error whose HTTP status tells Knative what to do with the event: 400/422 are final (the
 * event goes to the dead-letter sink), 429 and 5xx are retried.
 * @see https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md
 */
export class HttpError extends Error {
  override name = 'HttpError'
  readonly status: ContentfulStatusCode
  readonly details: unknown

  constructor(status: ContentfulStatusCode, message: string, details?: unknown) {
    super(message)
    this.status = status
    this.details = details
  }
}

/** A request that will never succeed as sent: malformed, not a CloudEvent, wrong type or data. */
export class BadRequestError extends HttpError {
  constructor(message: string, details?: unknown) {
    super(400, message, details)
  }
}

/** JSON body of every error response: `{ error, details? }`. */
export interface ErrorBody {
  error: string
  details?: unknown
}

/**
 * The one place that turns exceptions into responses. Database outages become 503 so Knative
 * retries them; data the database refuses becomes 422 (a retry would fail the same way, so the
 * event goes to the dead-letter sink); anything unexpected is a 500 and is logged with its
 * stack. Every error response is logged, so a rejected event leaves a line saying why. Database
 * details (hosts, users) stay in the log: responses carry only the error code.
 */
export function errorHandler(logger: Logger): ErrorHandler {
  return function errorHandler(err, c) {
    // Which events, once decoded: the line an operator looks for with a dead letter in hand.
    const events = (c.get('cloudEvents') as CloudEvent<unknown>[] | undefined)?.map(
      ({ id, source }) => ({ id, source })
    )
    if (err instanceof HttpError) {
      // After a 4xx Knative sends the event to the dead-letter sink: the log says why.
      logger.warn(
        err.status >= 500
          ? { err, status: err.status, events }
          : { status: err.status, details: err.details, events },
        err.message
      )
      const body: ErrorBody = { error: err.message }
      if (err.details !== undefined) {
        body.details = err.details
      }
      return c.json(body, err.status)
    }
    if (err instanceof HTTPException) {
      const message = err.message || 'request rejected'
      logger.warn({ status: err.status }, message)
      return c.json({ error: message }, err.status)
    }
    if (isTransientDatabaseError(err)) {
      logger.warn({ err, events }, 'database unavailable')
      return c.json({ error: `database unavailable (${databaseErrorCode(err)})` }, 503)
    }
    if (isInvalidDataError(err)) {
      logger.warn({ err, events }, 'the database refused the data')
      return c.json({ error: `the database refused the data: ${err.message}` }, 422)
    }
    logger.error({ err, events }, 'unhandled error')
    return c.json({ error: 'internal error' }, 500)
  }
}
