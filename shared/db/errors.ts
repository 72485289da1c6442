/** Node socket errors that mean the database could not be reached. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
])

/**
 * SQLSTATE classes and codes worth retrying: the server is starting, shutting down, out of
 * connections or resources, or the transaction lost a race with another one.
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57P']
// 25006: a read-only server, as a standby is until promoted after a failover.
const TRANSIENT_SQLSTATES = new Set(['25006', '40001', '40P01', '55P03', '57014'])

/** node-postgres's error for a query the server did not answer within `query_timeout`. */
export const READ_TIMEOUT_MESSAGE = 'Query read timeout'

/** Messages node-postgres uses for pool and connection failures that carry no code. */
const TRANSIENT_MESSAGES = [
  READ_TIMEOUT_MESSAGE,
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'connection timeout',
  'Client has encountered a connection error',
  'Too many connections',
]

export function isTransientDatabaseError(err: unknown): boolean {
  if (!(err instanceof Error)) {
    return false
  }
  const code = (err as Error & { code?: unknown }).code
  if (typeof code === 'string') {
    if (NETWORK_ERROR_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) {
      return true
    }
    if (TRANSIENT_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) {
      return true
    }
  }
  if (err instanceof AggregateError) {
    return err.errors.some(isTransientDatabaseError)
  }
  return TRANSIENT_MESSAGES.some((message) => err.message.includes(message))
}

/**
 * The server rejected a value itself: out of range, malformed, not representable (SQLSTATE
 * class 22), against a CHECK constraint (23514), or too large for an index entry (54000).
 * Sending the same data again fails again.
 */
export function isInvalidDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('22') || code === '23514' || code === '54000')
}

/**
 * A short, non-sensitive name for a database error: its code, or for node-postgres's failures
 * without one (a connect timeout, a connection closed at once) its fixed message; never host
 * names or users, so any other message is left out.
 */
export function databaseErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    return code
  }
  if (err instanceof AggregateError) {
    return databaseErrorCode(err.errors[0])
  }
  if (!(err instanceof Error)) {
    return 'unknown'
  }
  return TRANSIENT_MESSAGES.some((message) => err.message.includes(message))
    ? err.message
    : err.name
}

/** Deadlocks and serialization failures: the transaction may simply be run again. */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === '40001' || code === '40P01'
}
