import pg from 'pg'

import type { Logger } from '../logger.ts'
import { isRetryableTransactionError, READ_TIMEOUT_MESSAGE } from './errors.ts'

export type Pool = pg.Pool
export type PoolClient = pg.PoolClient

export interface PoolOptions {
  /** Connections; a few at most for embedded PGlite, which runs one statement at a time. */
  max?: number
  applicationName: string
  logger: Logger
  /** Fail fast when the pool is exhausted or the server is away, so the caller can answer 503. */
  connectionTimeoutMillis?: number
  statementTimeoutMillis?: number
  /**
   * Every transaction on these connections is read-only (`default_transaction_read_only`), so a
   * reader such as the dashboard cannot write even by mistake. A defence in depth: the cluster
   * should still give such a function a role that may only SELECT.
   */
  readOnly?: boolean
}

/**
 * How much longer than the server's statement timeout a client waits for an answer. The server
 * ends a slow statement itself; this only catches a server that went silent (a frozen host, a
 * network partition without a reset), which would otherwise hold a request forever.
 */
const READ_TIMEOUT_MARGIN_MS = 2_000

export function createPool(connectionString: string, options: PoolOptions): Pool {
  const statementTimeout = options.statementTimeoutMillis ?? 60_000
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + READ_TIMEOUT_MARGIN_MS,
    // The kernel probes an idle connection, so one to a vanished host fails instead of lingering.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  })
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => options.logger.warn({ err }, 'idle database connection failed'))
  return pool
}

/**
 * Runs `work` in one transaction on one client and always releases the client. A deadlock or
 * serialization failure rolls back and runs `work` again (up to `attempts` times), which is safe
 * because nothing of a rolled-back transaction remains.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  { attempts = 3 }: { attempts?: number } = {}
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect()
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      if (err instanceof Error && err.message === READ_TIMEOUT_MESSAGE) {
        // The server stopped answering: a ROLLBACK would only wait as long again.
        broken = err
      } else {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
        })
      }
      if (attempt >= attempts || !isRetryableTransactionError(err)) {
        throw err
      }
    } finally {
      // A client whose rollback failed is in an unknown state: destroy it instead of reusing it.
      client.release(broken)
    }
  }
}

/** Readiness check: the database answers a trivial query. */
export async function pingDatabase(pool: Pool): Promise<void> {
  await pool.query('SELECT 1')
}
