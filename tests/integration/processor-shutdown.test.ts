import { spawn } from 'node:child_process'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { freePort } from '../../scripts/free-port.ts'
import { asBinary, statesEvent } from '../fixtures/events.ts'
import { loadSample } from '../fixtures/opensky.ts'
import { untilWaitingOnLock, useTestDatabase } from '../helpers/postgres.ts'

const database = useTestDatabase()

async function until(what: string, condition: () => Promise<boolean>) {
  const deadline = Date.now() + 30_000
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('processor process', () => {
  it('finishes an in-flight delivery on SIGTERM, answers it, then closes the pool and exits 0', async () => {
    const port = await freePort()
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '../../functions/processor/index.ts')],
      {
        env: {
          ...process.env,
          PORT: String(port),
          DATABASE_URL: database().url,
          LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      }
    )
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const url = `http://127.0.0.1:${port}`
    await until(
      'readiness',
      async () => (await fetch(`${url}/health/readiness`).catch(() => null))?.ok === true
    )

    // Hold the live table so the delivery is provably in flight when SIGTERM arrives.
    const blocker = await database().pool.connect()
    await blocker.query('BEGIN')
    await blocker.query('LOCK TABLE live_flights IN ACCESS EXCLUSIVE MODE')
    const delivery = fetch(`${url}/`, asBinary(statesEvent(loadSample('sample-1'))))
    await untilWaitingOnLock(database().pool, 'skytrail-processor')

    child.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(child.exitCode).toBeNull()
    await blocker.query('COMMIT')
    blocker.release()

    const response = await delivery
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ upserted: 46 })
    expect(await exited).toBe(0)
    const { rows } = await database().pool.query<{ n: number; connections: number }>(
      `SELECT (SELECT count(*) FROM live_flights)::int AS n,
              (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'skytrail-processor')::int AS connections`
    )
    expect(rows[0]).toEqual({ n: 46, connections: 0 })
  })
})
