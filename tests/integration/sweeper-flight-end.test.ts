import type pg from 'pg'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'

import { applyStates } from '../../shared/db/apply-states.ts'
import { endSilentFlightsBatch } from '../../shared/db/end-silent-flights.ts'
import { withTransaction } from '../../shared/db/pool.ts'
import { useTestDatabase } from '../helpers/postgres.ts'
import { createTestSweeper } from '../helpers/sweeper.ts'
import {
  icao24At,
  liveState,
  seedManyLiveFlights,
  seedSweeperFlights,
} from '../helpers/sweeper-seed.ts'

const database = useTestDatabase()
const pools: pg.Pool[] = []
const TIMEOUT = 1200

function sweeper(env: Record<string, string> = {}) {
  return createTestSweeper(database().url, env, { pools })
}

/**
 * A sweeper whose connections give up on a row lock after a while (55P03, a 503): a tick that
 * waited on another transaction's locks fails, where one that skips them succeeds.
 */
function sweeperGivingUpOnLocks() {
  const url = new URL(database().url)
  url.searchParams.set('options', '-c lock_timeout=2s')
  return createTestSweeper(url.toString(), {}, { pools })
}

async function rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  return (await database().pool.query<T>(text, values)).rows
}

interface FlightRow {
  icao24: string
  end_time: Date | null
  live_last_contact: Date | null
}

/** Every flight with its end time and, if it still has one, its live row's last contact. */
async function flights(): Promise<Map<string, FlightRow>> {
  const result = await rows<FlightRow>(
    `SELECT h.icao24, h.end_time, l.last_contact AS live_last_contact
       FROM flight_histories h LEFT JOIN live_flights l USING (flight_uuid)`
  )
  return new Map(result.map((row) => [row.icao24, row]))
}

/** A stream whose newest data is `dataSecondsAgo` old, last written `writtenSecondsAgo` ago. */
async function stored(stream: string, dataSecondsAgo: number, writtenSecondsAgo = 0) {
  await database().pool.query(
    `INSERT INTO pipeline_status (stream, last_event_id, last_data_time, last_write_at)
     VALUES ($1, 'e', now() - make_interval(secs => $2), now() - make_interval(secs => $3))
     ON CONFLICT (stream) DO UPDATE
       SET last_data_time = excluded.last_data_time, last_write_at = excluded.last_write_at`,
    [stream, dataSecondsAgo, writtenSecondsAgo]
  )
}

async function lastContacts(): Promise<Map<string, number>> {
  const result = await rows<{ icao24: string; last_contact: Date }>(
    'SELECT icao24, last_contact FROM live_flights'
  )
  return new Map(result.map((row) => [row.icao24, row.last_contact.getTime()]))
}

beforeEach(async () => {
  await database().pool.query(
    'TRUNCATE live_flights, flight_histories, pipeline_status, processed_events, sweeper_runs'
  )
})

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()))
})

describe('sweeper: ending silent flights', () => {
  it('ends flights silent longer than the timeout at their last contact and deletes their live rows', async () => {
    await seedSweeperFlights(database().pool, [
      { icao24: 'aaaa01', silentSeconds: TIMEOUT + 60 },
      { icao24: 'aaaa02', silentSeconds: 3 * 3600 },
      { icao24: 'bbbb01', silentSeconds: 30 },
      { icao24: 'bbbb02', silentSeconds: TIMEOUT - 60 },
      { icao24: 'cccc01', silentSeconds: 7200, ended: true, live: false },
    ])
    const before = await lastContacts()
    const endedBefore = (await flights()).get('cccc01')?.end_time

    const { status, body } = await sweeper().tick()

    expect(status).toBe(200)
    expect(body.flightEnd).toMatchObject({ flightsEnded: 2, liveRowsDeleted: 2, batches: 1 })
    const after = await flights()
    for (const icao24 of ['aaaa01', 'aaaa02']) {
      expect(after.get(icao24)?.live_last_contact).toBeNull()
      expect(after.get(icao24)?.end_time?.getTime()).toBe(before.get(icao24))
    }
    for (const icao24 of ['bbbb01', 'bbbb02']) {
      expect(after.get(icao24)?.end_time).toBeNull()
      expect(after.get(icao24)?.live_last_contact?.getTime()).toBe(before.get(icao24))
    }
    expect(after.get('cccc01')?.end_time).toEqual(endedBefore)
  })

  it('measures silence up to the newest data while deliveries lag, so late states split nothing', async () => {
    // Silent for 25 minutes by the clock, but the newest data stored is 30 minutes old: the
    // aircraft's later states may still be queued.
    await seedSweeperFlights(database().pool, [{ icao24: 'abc123', silentSeconds: 25 * 60 }])
    await stored('partition:0', 30 * 60)
    expect((await sweeper().tick()).body.flightEnd).toMatchObject({ flightsEnded: 0 })

    // The backlog caught up without this aircraft: now it is silent.
    await stored('partition:0', 5)
    expect((await sweeper().tick()).body.flightEnd).toMatchObject({ flightsEnded: 1 })
    expect((await flights()).get('abc123')?.live_last_contact).toBeNull()
  })

  it('measures silence up to the stream furthest behind, leaving out streams long stopped', async () => {
    await seedSweeperFlights(database().pool, [{ icao24: 'abc124', silentSeconds: 25 * 60 }])
    // Partition 0 has the newest poll; partition 1, which may carry this aircraft, is 10 minutes
    // behind: the aircraft has been silent 15 minutes by its data, not 25.
    await stored('partition:0', 5)
    await stored('partition:1', 10 * 60)
    expect((await sweeper().tick()).body.flightEnd).toMatchObject({ flightsEnded: 0 })

    // Stalled for longer than the timeout, as on KafkaSource's retries, it still does.
    await stored('partition:1', 10 * 60, TIMEOUT + 60)
    expect((await sweeper().tick()).body.flightEnd).toMatchObject({ flightsEnded: 0 })

    // Not written for over an hour: stopped for good, it no longer holds the flight open.
    await stored('partition:1', 10 * 60, 3600 + 60)
    expect((await sweeper().tick()).body.flightEnd).toMatchObject({ flightsEnded: 1 })
  })

  it('deletes a silent live row whose flight was already ended without moving its end_time', async () => {
    await seedSweeperFlights(database().pool, [
      { icao24: 'dddd01', silentSeconds: 5000, ended: true },
    ])
    const [flight] = await rows<{ end_time: Date }>('SELECT end_time FROM flight_histories')

    const { body } = await sweeper().tick()

    expect(body.flightEnd).toMatchObject({ flightsEnded: 0, liveRowsDeleted: 1 })
    expect(await rows('SELECT * FROM live_flights')).toHaveLength(0)
    expect((await rows('SELECT end_time FROM flight_histories'))[0]).toEqual(flight)
  })

  it('honours FLIGHT_TIMEOUT_SECONDS', async () => {
    await seedSweeperFlights(database().pool, [
      { icao24: 'eeee01', silentSeconds: 400 },
      { icao24: 'eeee02', silentSeconds: 200 },
    ])
    const { body } = await sweeper({ FLIGHT_TIMEOUT_SECONDS: '300' }).tick()

    expect(body.flightEnd).toMatchObject({ flightsEnded: 1, timeoutSeconds: 300 })
    expect((await flights()).get('eeee01')?.end_time).not.toBeNull()
    expect((await flights()).get('eeee02')?.end_time).toBeNull()
  })

  it('changes nothing when the same tick runs again', async () => {
    await seedSweeperFlights(database().pool, [
      { icao24: 'ffff01', silentSeconds: 4000 },
      { icao24: 'ffff02', silentSeconds: 10 },
    ])
    const app = sweeper()
    await app.tick()
    const once = await flights()

    const { status, body } = await app.tick()

    expect(status).toBe(200)
    expect(body.flightEnd).toMatchObject({ flightsEnded: 0, liveRowsDeleted: 0, batches: 0 })
    expect(await flights()).toEqual(once)
  })

  it('skips live rows another transaction holds instead of waiting, and ends them on a later tick', async () => {
    await seedSweeperFlights(
      database().pool,
      ['a1', 'a2', 'a3', 'a4', 'a5'].map((suffix) => ({
        icao24: `0000${suffix}`,
        silentSeconds: 3000,
      }))
    )
    const holder = await database().pool.connect()
    try {
      // What a processor delivery touching these two aircraft holds until it commits.
      await holder.query('BEGIN')
      await holder.query(
        `SELECT 1 FROM live_flights WHERE icao24 IN ('0000a1', '0000a2') ORDER BY icao24 FOR UPDATE`
      )
      const app = sweeperGivingUpOnLocks()

      const first = await app.tick()

      expect(first.body.flightEnd).toMatchObject({ flightsEnded: 3, liveRowsDeleted: 3 })
      const held = await flights()
      expect(held.get('0000a1')?.end_time).toBeNull()
      expect(held.get('0000a2')?.end_time).toBeNull()
      await holder.query('COMMIT')

      const second = await app.tick()
      expect(second.body.flightEnd).toMatchObject({ flightsEnded: 2, liveRowsDeleted: 2 })
    } finally {
      holder.release()
    }
    expect(await rows('SELECT * FROM live_flights')).toHaveLength(0)
  }, 20_000)

  it('stops after the time budget and carries on in the next tick', async () => {
    await seedManyLiveFlights(database().pool, { count: 50, silentSeconds: 2 * TIMEOUT })
    const app = sweeper({ SWEEP_BATCH_SIZE: '10', SWEEP_TIME_BUDGET_SECONDS: '0.000001' })

    const reports = []
    for (let tick = 0; tick < 10; tick++) {
      const { body } = await app.tick()
      reports.push(body.flightEnd)
      if (body.flightEnd.complete) {
        break
      }
    }

    // One batch per tick (the budget is spent at once), then a short batch ends the backlog.
    expect(reports.map((report) => report.liveRowsDeleted)).toEqual([10, 10, 10, 10, 10, 0])
    expect(reports.map((report) => report.complete)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ])
    expect(await rows('SELECT * FROM flight_histories WHERE end_time IS NULL')).toHaveLength(0)
  })

  it('ends the other flights while a second sweeper holds its batch, and each flight once', async () => {
    await seedSweeperFlights(
      database().pool,
      Array.from({ length: 10 }, (_, n) => ({ icao24: `0000b${n}`, silentSeconds: 3000 }))
    )
    const before = await lastContacts()
    const other = await database().pool.connect()
    try {
      // Another sweeper in the middle of its batch: four rows locked, ended, not yet committed.
      await other.query('BEGIN')
      const held = await endSilentFlightsBatch(other, { timeoutSeconds: TIMEOUT, batchSize: 4 })
      expect(held).toEqual({ liveRowsDeleted: 4, flightsEnded: 4 })

      // Waiting on the other's locks would fail this tick with 55P03 instead of hanging it.
      const { status, body } = await sweeperGivingUpOnLocks().tick()

      expect(status).toBe(200)
      expect(body.flightEnd).toMatchObject({ flightsEnded: 6, liveRowsDeleted: 6 })
      await other.query('COMMIT')
    } finally {
      other.release()
    }
    expect((await sweeper().tick()).body.flightEnd).toMatchObject({ flightsEnded: 0 })
    const after = await flights()
    expect(after.size).toBe(10)
    for (const [icao24, flight] of after) {
      expect(flight.end_time?.getTime()).toBe(before.get(icao24))
    }
  })

  it('clears 100,000 silent aircraft in bounded batches while processor upserts keep committing', async () => {
    const stale = 100_000
    const fresh = 2_000
    await seedManyLiveFlights(database().pool, { count: stale, silentSeconds: 2 * TIMEOUT })
    await seedManyLiveFlights(database().pool, {
      count: fresh,
      silentSeconds: 0,
      spreadSeconds: 60,
      firstIcao24: 0xf00000,
    })
    const writerPool = database().pool
    let sweeping = true
    const committed: number[] = []
    const failures: unknown[] = []
    // A processor-style writer on the fresh aircraft, with a lock timeout far below the time a
    // sweeper batch takes: had a batch ever blocked it, it would fail with 55P03. Only fresh ones:
    // a writer of an aircraft the sweep is ending must wait for that batch's commit, a wait
    // bounded by SWEEP_BATCH_SIZE in time, not in anything a test can assert without a clock
    // (the revival test below covers those writers: none deadlocks, no flight is lost).
    const writer = (async () => {
      for (let round = 1; sweeping; round++) {
        const states = Array.from({ length: 200 }, (_, i) =>
          liveState(icao24At((round * 200 + i) % fresh, 0xf00000), round)
        )
        try {
          const result = await withTransaction(writerPool, async (client) => {
            await client.query(`SET LOCAL lock_timeout = '100ms'`)
            return applyStates(client, states, {
              waypointIntervalSeconds: 300,
              flightTimeoutSeconds: TIMEOUT,
            })
          })
          committed.push(result.upserted)
        } catch (err) {
          failures.push(err)
        }
      }
    })()

    const { status, body } = await sweeper()
      .tick()
      .finally(() => {
        sweeping = false
      })
    await writer

    expect(status).toBe(200)
    expect(body.flightEnd).toMatchObject({
      flightsEnded: stale,
      liveRowsDeleted: stale,
      batches: 20,
      batchSize: 5000,
      complete: true,
    })
    expect(failures).toEqual([])
    expect(committed.length).toBeGreaterThan(0)
    expect(committed.every((upserted) => upserted === 200)).toBe(true)
    const [counts] = await rows<{ live: number; open: number }>(
      `SELECT (SELECT count(*)::int FROM live_flights) AS live,
              (SELECT count(*)::int FROM flight_histories WHERE end_time IS NULL) AS open`
    )
    expect(counts).toEqual({ live: fresh, open: fresh })
  }, 120_000)

  it('neither deadlocks nor loses a flight when the processor brings silent aircraft back mid-sweep', async () => {
    const stale = 20_000
    await seedManyLiveFlights(database().pool, { count: stale, silentSeconds: 2 * TIMEOUT })
    const before = await lastContacts()
    const revived = Array.from({ length: 2_000 }, (_, i) => icao24At(i * 10))

    const [tick] = await Promise.all([
      sweeper({ SWEEP_BATCH_SIZE: '500' }).tick(),
      (async () => {
        for (let offset = 0; offset < revived.length; offset += 100) {
          const states = revived.slice(offset, offset + 100).map((icao24) => liveState(icao24, 0))
          await withTransaction(database().pool, (client) =>
            applyStates(client, states, {
              waypointIntervalSeconds: 300,
              flightTimeoutSeconds: TIMEOUT,
            })
          )
        }
      })(),
    ])

    expect(tick.status).toBe(200)
    // Whoever got each aircraft first, the old flight ended at its last contact and the returning
    // aircraft flies a new open flight.
    const histories = await rows<{ icao24: string; end_time: Date | null; live: boolean }>(
      `SELECT h.icao24, h.end_time, l.icao24 IS NOT NULL AS live
         FROM flight_histories h LEFT JOIN live_flights l USING (flight_uuid)
        ORDER BY h.icao24, h.start_time`
    )
    const byAircraft = Map.groupBy(histories, (row) => row.icao24)
    const revivedSet = new Set(revived)
    expect(byAircraft.size).toBe(stale)
    for (const [icao24, list] of byAircraft) {
      const [original, next, ...rest] = list
      expect(original?.end_time?.getTime()).toBe(before.get(icao24))
      expect(original?.live).toBe(false)
      if (revivedSet.has(icao24)) {
        expect(next).toMatchObject({ end_time: null, live: true })
      } else {
        expect(next).toBeUndefined()
      }
      expect(rest).toEqual([])
    }
  }, 120_000)
})
