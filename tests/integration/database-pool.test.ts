import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { deliverAlertEvents } from '../../functions/sweeper/alert-sink.ts'
import { isTransientDatabaseError } from '../../shared/db/errors.ts'
import { createPool, type Pool, withTransaction } from '../../shared/db/pool.ts'
import { silentLogger } from '../../shared/logger.ts'
import { useTestDatabase } from '../helpers/postgres.ts'
import { silentableProxy } from '../helpers/silentable-proxy.ts'

const database = useTestDatabase()

describe('database pool: a server that stops answering', () => {
  const STATEMENT_TIMEOUT_MS = 300
  let proxy: ReturnType<typeof silentableProxy>
  let pool: Pool

  beforeAll(async () => {
    proxy = silentableProxy(new URL(database().url))
    pool = createPool(await proxy.listen(), {
      applicationName: 'pool-test',
      logger: silentLogger,
      statementTimeoutMillis: STATEMENT_TIMEOUT_MS,
    })
  })
  afterAll(async () => {
    await pool.end()
    await proxy.close()
  })

  it('fails a query on an open connection instead of waiting forever, and recovers', async () => {
    await pool.query('SELECT 1')
    proxy.silent = true
    const failure = await pool.query('SELECT 1').catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(Error)
    // Transient, so a handler answers 503 and Knative retries.
    expect(isTransientDatabaseError(failure)).toBe(true)
    // The connection that hung is not given out again.
    expect(pool.totalCount).toBe(0)

    proxy.silent = false
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })

  it('gives up a transaction without waiting for a ROLLBACK the server would never answer', async () => {
    const client = await pool.connect()
    client.release()
    proxy.silent = true
    const started = performance.now()
    const failure = await withTransaction(pool, (c) => c.query('SELECT 1')).catch(
      (err: unknown) => err
    )
    const waitedMs = performance.now() - started
    proxy.silent = false
    expect(isTransientDatabaseError(failure)).toBe(true)
    expect(pool.totalCount).toBe(0)
    // One read timeout (statement timeout + 2 s), not a second one for the ROLLBACK.
    expect(waitedMs).toBeLessThan(2 * (STATEMENT_TIMEOUT_MS + 2_000) - 500)
  })

  it('does not give the sweeper’s outbox connection back when its lock query timed out', async () => {
    const client = await pool.connect()
    client.release()
    proxy.silent = true
    const sink = { url: 'http://127.0.0.1:9/', extensions: {}, timeoutMs: 1_000 }
    const failure = await deliverAlertEvents(pool, sink, () => Promise.resolve()).catch(
      (err: unknown) => err
    )
    proxy.silent = false
    expect(isTransientDatabaseError(failure)).toBe(true)
    // Its lock query may still arrive and take the lock, on a connection nobody would unlock.
    expect(pool.totalCount).toBe(0)
  })
})
