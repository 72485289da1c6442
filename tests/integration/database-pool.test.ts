import net from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { isTransientDatabaseError } from '../../shared/db/errors.ts'
import { createPool, type Pool, withTransaction } from '../../shared/db/pool.ts'
import { silentLogger } from '../../shared/logger.ts'
import { useTestDatabase } from '../helpers/postgres.ts'

const database = useTestDatabase()

/**
 * A TCP proxy to the test database that can go silent: it keeps every socket open but forwards
 * nothing, as a frozen host or a network partition without a reset does.
 */
function silentableProxy(target: URL) {
  let silent = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from)
      from.on('data', (chunk) => silent || to.write(chunk))
      from.on('error', () => {})
      from.on('close', () => to.destroy())
    }
  })
  return {
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const url = new URL(target)
      url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`
      return url.toString()
    },
    set silent(value: boolean) {
      silent = value
    },
    async close() {
      sockets.forEach((socket) => socket.destroy())
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

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
})
