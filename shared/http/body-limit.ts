import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'

import type { Logger } from '../logger.ts'

/** Enough for any PingSource tick: its data is a few bytes of JSON the manifest sets. */
export const MAX_TICK_BODY_BYTES = 64 * 1024

/**
 * Refuses a body over `maxBytes` with 413 and a JSON error, before it is buffered: a large body
 * would otherwise be read into memory whole.
 */
export function limitBody(maxBytes: number, logger: Logger): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      const error = `request body exceeds the limit of ${maxBytes} bytes`
      logger.warn({ status: 413 }, error)
      return c.json({ error }, 413)
    },
  })
}
