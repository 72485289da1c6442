import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'

import { adminQuery, databaseUrl, dropDatabase, uniqueDatabaseName } from './postgres-admin.ts'

export interface TestDatabase {
  /** Connection URL of this test file's own database. */
  url: string
  name: string
  /** A small pool on it, closed after the file. */
  pool: pg.Pool
}

/**
 * Gives the calling test file its own freshly migrated database, cloned from the run's template
 * before the file's tests and dropped after them. Use the returned getter inside tests.
 */
export function useTestDatabase(): () => TestDatabase {
  let database: TestDatabase | undefined
  beforeAll(async () => {
    const name = uniqueDatabaseName('skytrail_test')
    await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${inject('postgresTemplate')}"`)
    const url = databaseUrl(name)
    database = { url, name, pool: new pg.Pool({ connectionString: url, max: 4 }) }
  })
  afterAll(async () => {
    if (database) {
      await database.pool.end()
      await dropDatabase(database.name)
    }
  })
  return () => {
    if (!database) {
      throw new Error('useTestDatabase(): the database exists only inside tests and hooks')
    }
    return database
  }
}

/** Resolves once `count` connections of `applicationName` wait on a lock; fails after 30 s. */
export async function untilWaitingOnLock(pool: pg.Pool, applicationName: string, count = 1) {
  const deadline = Date.now() + 30_000
  for (;;) {
    const { rows } = await pool.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [applicationName]
    )
    if ((rows[0]?.waiting ?? 0) >= count) {
      return
    }
    if (Date.now() > deadline) {
      throw new Error(`fewer than ${count} ${applicationName} connections waiting on a lock`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
