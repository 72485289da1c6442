import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { EmbeddedPostgres } from '../../scripts/local/embedded-postgres.ts'
import { startEmbeddedPostgres } from '../../scripts/local/embedded-postgres.ts'
import { migrate } from '../../shared/db/migrate.ts'
import { silentLogger } from '../../shared/logger.ts'
import type { AlertReceiver } from '../helpers/sweeper.ts'
import { createTestSweeper, startAlertReceiver } from '../helpers/sweeper.ts'
import { seedSweeperFlights } from '../helpers/sweeper-seed.ts'

// `npm start` runs the sweeper on embedded PostgreSQL (PGlite): the same statements must work
// there, with the pool the local runner gives it.
let dataDir: string
let embedded: EmbeddedPostgres
let receiver: AlertReceiver
const pools: pg.Pool[] = []

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skytrail-sweeper-pglite-'))
  embedded = await startEmbeddedPostgres({ dataDir })
  await migrate({ databaseUrl: embedded.url, logger: silentLogger })
  receiver = await startAlertReceiver()
})

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()))
  await receiver?.close()
  await embedded?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

describe('sweeper on embedded PostgreSQL (PGlite)', () => {
  it('ends silent flights, raises the freshness alert once and prunes, like on PostgreSQL', async () => {
    const db = new pg.Pool({ connectionString: embedded.url, max: 1 })
    pools.push(db)
    await seedSweeperFlights(db, [
      { icao24: 'abc001', silentSeconds: 5000 },
      { icao24: 'abc002', silentSeconds: 10 },
    ])
    await db.query(
      `INSERT INTO processed_events (source, id, processed_at)
       VALUES ('kafka', 'old', now() - interval '2 days'), ('kafka', 'new', now())`
    )
    const sweeper = createTestSweeper(embedded.url, { K_SINK: receiver.url }, { pools })

    const first = await sweeper.tick()
    const second = await sweeper.tick()

    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({
      flightEnd: { flightsEnded: 1, liveRowsDeleted: 1 },
      alerts: { raised: ['data-freshness'], notifications: { sent: 1, failed: 0 } },
      retention: { inboxPruned: 1 },
    })
    expect(second.body).toMatchObject({ flightEnd: { flightsEnded: 0 }, alerts: { raised: [] } })
    expect(receiver.accepted.map((event) => event.subject)).toEqual(['data-freshness'])
    const live = await db.query<{ icao24: string }>('SELECT icao24 FROM live_flights')
    expect(live.rows).toEqual([{ icao24: 'abc002' }])
  })
})
