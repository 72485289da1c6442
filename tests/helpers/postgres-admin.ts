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

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
}
