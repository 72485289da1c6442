import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { EmbeddedPostgres } from '../../scripts/local/embedded-postgres.ts'
import { startEmbeddedPostgres } from '../../scripts/local/embedded-postgres.ts'
import { findMigrationsDir, migrate } from '../../shared/db/migrate.ts'
import { silentLogger } from '../../shared/logger.ts'

let dataDir: string
let embedded: EmbeddedPostgres

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skytrail-pglite-'))
  embedded = await startEmbeddedPostgres({ dataDir })
})

afterAll(async () => {
  await embedded.stop()
  await rm(dataDir, { recursive: true, force: true })
})

describe('embedded PostgreSQL (PGlite over the wire protocol)', () => {
  it('refuses a folder another instance holds, and takes over the lock of one that died', async () => {
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
      `${dataDir} is in use by process ${process.pid}`
    )
    const other = await mkdtemp(join(tmpdir(), 'skytrail-pglite-'))
    try {
      // Held by a running process (the test runner's parent).
      await writeFile(`${other}.lock`, String(process.ppid))
      await expect(startEmbeddedPostgres({ dataDir: other })).rejects.toThrow(/in use by process/)
      // Just created by a start that has not written its pid yet.
      await writeFile(`${other}.lock`, '')
      await expect(startEmbeddedPostgres({ dataDir: other })).rejects.toThrow(
        /in use by process starting/
      )
      // Left behind by a process that is gone.
      const dead = spawnSync(process.execPath, ['-e', '']).pid
      await writeFile(`${other}.lock`, String(dead))
      const second = await startEmbeddedPostgres({ dataDir: other })
      expect(await readFile(`${other}.lock`, 'utf8')).toBe(String(process.pid))
      await second.stop()
      expect(existsSync(`${other}.lock`)).toBe(false)
    } finally {
      await rm(other, { recursive: true, force: true })
      await rm(`${other}.lock`, { force: true })
    }
  })

  it('keeps concurrent clients’ parameterised queries apart', async () => {
    const pool = new pg.Pool({ connectionString: embedded.url, max: 4 })
    try {
      // Each query is Parse/Bind/Execute/Sync on the unnamed statement; interleaving those
      // messages between connections would return another client's result or fail to bind.
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          pool.query<{ value: number; label: string }>(
            'SELECT $1::int * 2 AS value, $2::text AS label',
            [i, `client-${i}`]
          )
        )
      )
      results.forEach((result, i) =>
        expect(result.rows[0]).toEqual({ value: i * 2, label: `client-${i}` })
      )
    } finally {
      await pool.end()
    }
  })

  it('keeps each client’s named prepared statements its own', async () => {
    const a = new pg.Client({ connectionString: embedded.url })
    const b = new pg.Client({ connectionString: embedded.url })
    await Promise.all([a.connect(), b.connect()])
    try {
      for (let round = 0; round < 3; round++) {
        const [fromA, fromB] = await Promise.all([
          a.query({ name: 'answer', text: 'SELECT $1::int + 1 AS n', values: [round] }),
          b.query({ name: 'answer', text: 'SELECT $1::int * 10 AS n', values: [round] }),
        ])
        expect([fromA.rows[0], fromB.rows[0]]).toEqual([{ n: round + 1 }, { n: round * 10 }])
      }
    } finally {
      await Promise.all([a.end(), b.end()])
    }
    const c = new pg.Client({ connectionString: embedded.url })
    await c.connect()
    try {
      const { rows } = await c.query({
        name: 'answer',
        text: 'SELECT $1::int - 1 AS n',
        values: [5],
      })
      expect(rows[0]).toEqual({ n: 4 })
    } finally {
      await c.end()
    }
  })

  it('runs one client’s transaction without others’ statements in between', async () => {
    const a = new pg.Client({ connectionString: embedded.url })
    const b = new pg.Client({ connectionString: embedded.url })
    await Promise.all([a.connect(), b.connect()])
    try {
      await a.query('CREATE TABLE IF NOT EXISTS turns (n int)')
      await a.query('BEGIN')
      await a.query('INSERT INTO turns VALUES (1)')
      let bSaw: number | undefined
      const bRead = b.query<{ n: number }>('SELECT count(*)::int AS n FROM turns').then((r) => {
        bSaw = r.rows[0]?.n
      })
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(bSaw).toBeUndefined()
      await a.query('INSERT INTO turns VALUES (2)')
      await a.query('COMMIT')
      await bRead
      expect(bSaw).toBe(2)
    } finally {
      await Promise.all([a.end(), b.end()])
    }
  })

  it('rolls back the transaction of a client that disconnects inside it', async () => {
    const a = new pg.Client({ connectionString: embedded.url })
    await a.connect()
    await a.query('CREATE TABLE IF NOT EXISTS abandoned (n int)')
    await a.query('BEGIN')
    await a.query('INSERT INTO abandoned VALUES (1)')
    await a.end()
    const b = new pg.Client({ connectionString: embedded.url })
    await b.connect()
    try {
      const { rows } = await b.query<{ n: number }>('SELECT count(*)::int AS n FROM abandoned')
      expect(rows[0]?.n).toBe(0)
    } finally {
      await b.end()
    }
  })

  it('applies the migrations and keeps the data across a restart', async () => {
    const files = (await readdir(findMigrationsDir())).filter((name) => name.endsWith('.sql'))
    expect(await migrate({ databaseUrl: embedded.url, logger: silentLogger })).toEqual(
      files.sort().map((name) => name.replace(/\.sql$/, ''))
    )
    const client = new pg.Client({ connectionString: embedded.url })
    await client.connect()
    await client.query(
      `INSERT INTO pipeline_status (stream, last_event_id, last_data_time) VALUES ('x', 'e', now())`
    )
    await client.end()

    await embedded.stop()
    embedded = await startEmbeddedPostgres({ dataDir })
    expect(await migrate({ databaseUrl: embedded.url, logger: silentLogger })).toEqual([])
    const again = new pg.Client({ connectionString: embedded.url })
    await again.connect()
    try {
      const { rows } = await again.query('SELECT stream FROM pipeline_status')
      expect(rows).toEqual([{ stream: 'x' }])
    } finally {
      await again.end()
    }
  })
})
