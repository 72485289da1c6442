import { randomBytes } from 'node:crypto'

import pg from 'pg'

/** Server the integration tests use: TEST_DATABASE_URL, else the local PostgreSQL on loopback. */
export const TEST_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export function databaseUrl(name: string, serverUrl = TEST_SERVER_URL): string {
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

export function uniqueDatabaseName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}

/** Runs `statement` on the server's maintenance database (CREATE/DROP DATABASE need that). */
export async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * Drops a test database once its connections are gone. A pg pool's `end()` resolves before its
 * connections have closed on the server, and `WITH (FORCE)` would then terminate them under
 * their clients (an uncaught 57P01 in the test run), so wait for them first; force only what is
 * still connected after the pool idle timeout (10 s), which would be a leaked pool.
 */
export async function dropDatabase(name: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    try {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}"`)
      return
    } catch (err) {
      if ((err as { code?: string }).code !== OBJECT_IN_USE) {
        throw err
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
}

const OBJECT_IN_USE = '55006'
