// `npm run bench:sweeper`: how long the sweeper takes to end a backlog of 100,000 silent aircraft,
// and how long each batch (one transaction, so how long its row locks are held) takes, for several
// batch sizes, on a fresh database each. Meanwhile a processor-style writer keeps upserting 2,000
// other, fresh aircraft (200 per transaction, the processor's own statement); its transaction
// latency is measured before the sweep (alone) and during it. Finally one whole tick goes through
// the sweeper app with the default settings. Results: bench/results/sweeper.json.
import { performance } from 'node:perf_hooks'

import type pg from 'pg'

import { createApp } from '../functions/sweeper/app.ts'
import { loadConfig } from '../functions/sweeper/config.ts'
import type { TickReport } from '../functions/sweeper/tick.ts'
import { applyStates } from '../shared/db/apply-states.ts'
import { endSilentFlightsBatch } from '../shared/db/end-silent-flights.ts'
import { createPool, withTransaction } from '../shared/db/pool.ts'
import { silentLogger } from '../shared/logger.ts'
import { pingTick } from '../tests/helpers/sweeper.ts'
import { icao24At, liveState, seedManyLiveFlights } from '../tests/helpers/sweeper-seed.ts'
import { freshDatabase, machine, summarize, table, writeResult } from './lib.ts'

const STALE = Number(process.env.BENCH_STALE ?? 100_000)
const FRESH = 2_000
const WRITER_BATCH = 200
const BASELINE_TRANSACTIONS = 100
const BATCH_SIZES = (process.env.BENCH_BATCH_SIZES ?? '1000,5000,20000').split(',').map(Number)
const TIMEOUT_SECONDS = 1200
const FRESH_FIRST = 0xf00000

/** A processor-style writer on the fresh aircraft until `stop()`; latencies of its transactions. */
function startWriter(pool: pg.Pool, limit = Infinity) {
  const latencies: number[] = []
  const failures: string[] = []
  let running = true
  const done = (async () => {
    for (let round = 1; running && round <= limit; round++) {
      const states = Array.from({ length: WRITER_BATCH }, (_, i) =>
        liveState(icao24At((round * WRITER_BATCH + i) % FRESH, FRESH_FIRST), round)
      )
      const started = performance.now()
      try {
        await withTransaction(pool, async (client) => {
          await client.query(`SET LOCAL lock_timeout = '1s'`)
          return applyStates(client, states, {
            waypointIntervalSeconds: 300,
            flightTimeoutSeconds: TIMEOUT_SECONDS,
          })
        })
        latencies.push(performance.now() - started)
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err))
      }
    }
  })()
  return {
    latencies,
    failures,
    async stop() {
      running = false
      await done
    },
    done,
  }
}

async function seeded() {
  const db = await freshDatabase('skytrail_bench_sweeper')
  await seedManyLiveFlights(db.pool, { count: STALE, silentSeconds: 2 * TIMEOUT_SECONDS })
  await seedManyLiveFlights(db.pool, {
    count: FRESH,
    silentSeconds: 0,
    spreadSeconds: 60,
    firstIcao24: FRESH_FIRST,
  })
  // What autovacuum would have done by the time such a backlog exists.
  await db.pool.query('VACUUM ANALYZE live_flights, flight_histories')
  return db
}

async function runBatchSize(batchSize: number) {
  const db = await seeded()
  const sweeperPool = createPool(db.url, { applicationName: 'bench-sweeper', logger: silentLogger })
  const writerPool = createPool(db.url, { applicationName: 'bench-writer', logger: silentLogger })
  try {
    const alone = startWriter(writerPool, BASELINE_TRANSACTIONS)
    await alone.done

    const during = startWriter(writerPool)
    const batchMs: number[] = []
    let ended = 0
    const started = performance.now()
    for (;;) {
      const batchStarted = performance.now()
      const batch = await endSilentFlightsBatch(sweeperPool, {
        timeoutSeconds: TIMEOUT_SECONDS,
        batchSize,
      })
      if (batch.liveRowsDeleted === 0) {
        break
      }
      batchMs.push(performance.now() - batchStarted)
      ended += batch.flightsEnded
      if (batch.liveRowsDeleted < batchSize) {
        break
      }
    }
    const totalMs = performance.now() - started
    await during.stop()
    return {
      batchSize,
      flightsEnded: ended,
      batches: batchMs.length,
      totalMs,
      flightsPerSecond: ended / (totalMs / 1000),
      batchMs: summarize(batchMs),
      writerAlone: { ...summarize(alone.latencies), failures: alone.failures.length },
      writerDuringSweep: { ...summarize(during.latencies), failures: during.failures.length },
      writerFailures: [...new Set([...alone.failures, ...during.failures])],
    }
  } finally {
    await sweeperPool.end()
    await writerPool.end()
    await db.drop()
  }
}

/** One whole tick through the app (default settings), with the writer running. */
async function runTick() {
  const db = await seeded()
  const config = loadConfig({ DATABASE_URL: db.url })
  const pool = createPool(db.url, { applicationName: 'bench-sweeper', logger: silentLogger })
  const writerPool = createPool(db.url, { applicationName: 'bench-writer', logger: silentLogger })
  try {
    const app = createApp({ config, logger: silentLogger, pool })
    const writer = startWriter(writerPool)
    const started = performance.now()
    const response = await app.request('/', pingTick())
    const wallMs = performance.now() - started
    await writer.stop()
    const report = (await response.json()) as TickReport
    return {
      status: response.status,
      wallMs,
      durationMs: report.durationMs,
      flightEnd: report.flightEnd,
      writerDuringTick: { ...summarize(writer.latencies), failures: writer.failures.length },
    }
  } finally {
    await pool.end()
    await writerPool.end()
    await db.drop()
  }
}

const results = []
for (const batchSize of BATCH_SIZES) {
  results.push(await runBatchSize(batchSize))
}
const tick = await runTick()

console.warn(
  `\nEnding ${STALE.toLocaleString('en')} silent aircraft while a writer upserts ${FRESH} fresh ones (${WRITER_BATCH} per transaction)\n`
)
console.warn(
  table(
    results.map((r) => ({
      'batch size': r.batchSize,
      batches: r.batches,
      'total s': r.totalMs / 1000,
      'flights/s': Math.round(r.flightsPerSecond),
      'batch p50 ms': r.batchMs.p50,
      'batch max ms': r.batchMs.max,
      'writer alone p50/p99 ms': `${r.writerAlone.p50.toFixed(1)} / ${r.writerAlone.p99.toFixed(1)}`,
      'writer during p50/p99/max ms': `${r.writerDuringSweep.p50.toFixed(1)} / ${r.writerDuringSweep.p99.toFixed(1)} / ${r.writerDuringSweep.max.toFixed(1)}`,
      'writer tx / failed': `${r.writerDuringSweep.n} / ${r.writerDuringSweep.failures}`,
    }))
  )
)
console.warn(
  `\nWhole tick through the app (defaults): ${tick.status}, ${tick.flightEnd.flightsEnded} flights in ${tick.flightEnd.batches} batches, ${(tick.durationMs / 1000).toFixed(1)} s (slowest batch ${tick.flightEnd.slowestBatchMs} ms); writer p99 ${tick.writerDuringTick.p99.toFixed(1)} ms, ${tick.writerDuringTick.failures} failed`
)
const file = writeResult('sweeper', {
  measuredAt: new Date().toISOString(),
  machine: machine(),
  stale: STALE,
  fresh: FRESH,
  writerBatch: WRITER_BATCH,
  batchSizes: results,
  tick,
})
console.warn(`\nwritten to ${file}`)
