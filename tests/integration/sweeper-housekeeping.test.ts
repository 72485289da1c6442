import net from 'node:net'

import type pg from 'pg'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'

import { useTestDatabase } from '../helpers/postgres.ts'
import { createTestSweeper } from '../helpers/sweeper.ts'
import { seedSweeperFlights } from '../helpers/sweeper-seed.ts'

const database = useTestDatabase()
const pools: pg.Pool[] = []
const DAY = 86_400

function sweeper(env: Record<string, string> = {}) {
  return createTestSweeper(database().url, env, { pools })
}

async function rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  return (await database().pool.query<T>(text, values)).rows
}

beforeEach(async () => {
  await database().pool.query(
    `TRUNCATE live_flights, flight_histories, pipeline_status, processed_events, sweeper_runs,
              pipeline_alert_events, pipeline_alerts`
  )
})

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()))
})

describe('sweeper: retention and reports', () => {
  it('prunes processor inbox rows older than INBOX_RETENTION_HOURS and keeps newer ones', async () => {
    await database().pool.query(
      `INSERT INTO processed_events (source, id, processed_at)
       SELECT 'kafka', 'old-' || n, now() - interval '25 hours' FROM generate_series(1, 7) n
       UNION ALL
       SELECT 'kafka', 'new-' || n, now() - interval '23 hours' FROM generate_series(1, 4) n`
    )

    const { body } = await sweeper({ SWEEP_BATCH_SIZE: '3' }).tick()

    expect(body.retention).toMatchObject({ inboxPruned: 7, complete: true })
    const left = await rows<{ id: string }>('SELECT id FROM processed_events ORDER BY id')
    expect(left.map((row) => row.id)).toEqual(['new-1', 'new-2', 'new-3', 'new-4'])
  })

  it('keeps finished flights forever unless RETENTION_DAYS is set', async () => {
    await seedSweeperFlights(database().pool, [
      { icao24: 'aaa001', silentSeconds: 400 * DAY, ended: true, live: false },
    ])

    const { body } = await sweeper().tick()

    expect(body.retention.flightsDeleted).toBeNull()
    expect(await rows('SELECT * FROM flight_histories')).toHaveLength(1)
  })

  it('deletes flights that ended more than RETENTION_DAYS ago, in batches, and nothing else', async () => {
    await seedSweeperFlights(database().pool, [
      ...['01', '02', '03', '04', '05'].map((n) => ({
        icao24: `aaa0${n}`,
        silentSeconds: 31 * DAY,
        ended: true,
        live: false,
      })),
      { icao24: 'bbb001', silentSeconds: 29 * DAY, ended: true, live: false },
      // open for weeks (a live row, recent contact): not finished, so never deleted
      { icao24: 'ccc001', silentSeconds: 10, durationSeconds: 60 * DAY },
    ])

    const { body } = await sweeper({ RETENTION_DAYS: '30', SWEEP_BATCH_SIZE: '2' }).tick()

    expect(body.retention).toMatchObject({ flightsDeleted: 5, complete: true })
    const left = await rows<{ icao24: string }>('SELECT icao24 FROM flight_histories ORDER BY 1')
    expect(left.map((row) => row.icao24)).toEqual(['bbb001', 'ccc001'])
  })

  it('stores each tick report in sweeper_runs and prunes runs older than the retention', async () => {
    await database().pool.query(
      `INSERT INTO sweeper_runs (started_at, finished_at, flights_ended, report)
       VALUES (now() - interval '8 days', now() - interval '8 days', 3, '{}'),
              (now() - interval '6 days', now() - interval '6 days', 4, '{}')`
    )
    await seedSweeperFlights(database().pool, [{ icao24: 'ddd001', silentSeconds: 5000 }])

    const { status, body } = await sweeper().tick()

    expect(status).toBe(200)
    expect(body.retention.runsPruned).toBe(1)
    const runs = await rows<{ flights_ended: number; report: unknown; finished_at: Date }>(
      'SELECT flights_ended, report, finished_at FROM sweeper_runs ORDER BY finished_at DESC'
    )
    expect(runs).toHaveLength(2)
    expect(runs[0]?.flights_ended).toBe(1)
    expect(runs[0]?.report).toEqual(body)
    expect(runs[0]?.finished_at.toISOString()).toBe(body.finishedAt)
    expect(body.tick.source).toBe('/apis/v1/namespaces/skytrail/pingsources/sweeper-tick')
  })

  it('prunes sent alert events after the retention but keeps unsent ones', async () => {
    await database().pool.query(
      `INSERT INTO pipeline_alerts (name, active) VALUES ('data-freshness', false);
       INSERT INTO pipeline_alert_events (alert, type, data, created_at, sent_at) VALUES
         ('data-freshness', 't', '{}', now() - interval '9 days', now() - interval '9 days'),
         ('data-freshness', 't', '{}', now() - interval '9 days', NULL),
         ('data-freshness', 't', '{}', now() - interval '1 day', now() - interval '1 day')`
    )

    const { body } = await sweeper().tick()

    expect(body.retention.alertEventsPruned).toBe(1)
    expect(await rows('SELECT * FROM pipeline_alert_events')).toHaveLength(2)
  })
})

describe('sweeper: unreachable database', () => {
  it('answers a tick with 503 naming the database, and readiness with 503', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const url = 'postgres://postgres@127.0.0.1:1/nowhere'
    const app = createTestSweeper(url, {}, { pools })

    const { status, body } = await app.tick()

    expect(status).toBe(503)
    expect(body.error).toBe('database unavailable (ECONNREFUSED)')
    const readiness = await app.app.request('/health/readiness')
    expect(readiness.status).toBe(503)
    expect((await app.app.request('/health/liveness')).status).toBe(200)
  })

  // Failures without an error code: the answer names what went wrong, not just "Error".
  it.each([
    ['closes every connection at once', 'Connection terminated unexpectedly', close],
    [
      'accepts connections and never answers',
      'Connection terminated due to connection timeout',
      ignore,
    ],
  ])(
    'answers 503 naming the failure when the database port %s',
    async (_, failure, onConnection) => {
      const server = net.createServer(onConnection)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const { port } = server.address() as net.AddressInfo
      try {
        const app = createTestSweeper(
          `postgres://postgres@127.0.0.1:${port}/nowhere`,
          {},
          { pools }
        )

        const { status, body } = await app.tick()

        expect(status).toBe(503)
        expect(body.error).toBe(`database unavailable (${failure})`)
      } finally {
        server.close()
        sockets.forEach((socket) => socket.destroy())
      }
    }
  )
})

const sockets = new Set<net.Socket>()

function close(socket: net.Socket) {
  socket.destroy()
}

function ignore(socket: net.Socket) {
  sockets.add(socket)
}
