import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'

import type { LocalPipeline, LocalPipelineOptions } from '../../scripts/local/pipeline.ts'
import { DEAD_LETTER_TOPIC, startLocalPipeline } from '../../scripts/local/pipeline.ts'
import { FLIGHT_RAW_DATA_TOPIC } from '../../shared/events/index.ts'
import { silentLogger } from '../../shared/logger.ts'
import { hasKafka, kafkaBrokers } from '../helpers/kafka.ts'
import { useTestDatabase } from '../helpers/postgres.ts'

/** One wall second is one simulated minute: waypoints every 5 s, flights end after 20 s. */
const SPEED = 60
const WAYPOINT_SECONDS = 300 / SPEED

interface Counts {
  live: number
  flights: number
  ended: number
  waypoints: number
}

async function counts(pipeline: LocalPipeline): Promise<Counts> {
  const { rows } = await pipeline.pool.query<Counts>(`
    SELECT (SELECT count(*) FROM live_flights)::int AS live,
           (SELECT count(*) FROM flight_histories)::int AS flights,
           (SELECT count(*) FROM flight_histories WHERE end_time IS NOT NULL)::int AS ended,
           (SELECT coalesce(sum(jsonb_array_length(route_data)), 0) FROM flight_histories)::int AS waypoints`)
  return rows[0]!
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  seconds = 120
) {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const value = await probe()
    if (done(value)) {
      return value
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not happen within ${seconds} s; last seen ${JSON.stringify(value)}`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** Runs the simulated pipeline until flights fill, gain waypoints and end; then restarts it. */
async function runAndRestart(
  options: Omit<LocalPipelineOptions, 'speed' | 'logger' | 'dashboardPort'>,
  check: (pipeline: LocalPipeline) => void | Promise<void> = () => {}
) {
  const settings = {
    ...options,
    speed: SPEED,
    aircraft: 400,
    source: 'simulate' as const,
    dashboardPort: 0,
    logger: silentLogger,
  }
  let pipeline = await startLocalPipeline(settings)
  try {
    await eventually(
      'live_flights filling',
      () => counts(pipeline),
      (c) => c.live >= 50
    )

    // Waypoints a flight gained, in order, WAYPOINT_SECONDS or more apart in the data's time.
    const { rows: tracks } = await eventually(
      'a flight with four waypoints',
      () =>
        pipeline.pool.query<{ route: [number, number, number][] }>(
          'SELECT route_data AS route FROM flight_histories WHERE jsonb_array_length(route_data) >= 4 LIMIT 5'
        ),
      (result) => result.rows.length > 0
    )
    for (const { route } of tracks) {
      const gaps = route.slice(1).map((point, i) => point[2] - route[i]![2])
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(WAYPOINT_SECONDS)
    }

    const ended = await eventually(
      'silent aircraft getting an end_time',
      () => counts(pipeline),
      (c) => c.ended > 0
    )
    const { rows: endedFlights } = await pipeline.pool.query<{ stale: boolean }>(
      `SELECT end_time <= now() - make_interval(secs => 1200 / ${SPEED}) AS stale
       FROM flight_histories WHERE end_time IS NOT NULL`
    )
    expect(endedFlights.every((flight) => flight.stale)).toBe(true)

    const status = await fetch(`${pipeline.functions.dashboard.url}/api/status`)
    expect(status.status).toBe(200)
    await check(pipeline)

    await pipeline.stop()
    const before = ended
    pipeline = await startLocalPipeline({ ...settings, source: 'simulate' })
    const after = await counts(pipeline)
    expect(after.flights).toBeGreaterThanOrEqual(before.flights)
    expect(after.ended).toBeGreaterThanOrEqual(before.ended)
    expect(after.waypoints).toBeGreaterThanOrEqual(before.waypoints)
  } finally {
    await pipeline.stop()
  }
}

describe('npm start: the local pipeline', () => {
  const dirs: string[] = []
  const dataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skytrail-local-'))
    dirs.push(dir)
    return dir
  }
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  })

  it('runs on embedded PostgreSQL with direct HTTP delivery, and keeps its data across a restart', async () => {
    // A broker named in the environment (a CI job's, a developer's shell) is not for this
    // transport: the functions would write to it, and nothing would reach the processor.
    const inherited = process.env.KAFKA_BROKERS
    process.env.KAFKA_BROKERS = '127.0.0.1:1'
    try {
      await runAndRestart({ dataDir: await dataDir() }, (pipeline) => {
        expect(pipeline.transport).toBe('http')
      })
    } finally {
      if (inherited === undefined) {
        delete process.env.KAFKA_BROKERS
      } else {
        process.env.KAFKA_BROKERS = inherited
      }
    }
  }, 300_000)

  describe.skipIf(!hasKafka())('with real PostgreSQL and real Kafka', () => {
    const database = useTestDatabase()
    afterAll(async () => {
      const admin = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin()
      await admin.connect()
      // A test that failed early may not have created them.
      await admin
        .deleteTopics({ topics: [FLIGHT_RAW_DATA_TOPIC, DEAD_LETTER_TOPIC] })
        .catch(() => {})
      await admin.disconnect()
    })

    it('delivers through Kafka like a KafkaSource and keeps its data across a restart', async () => {
      await runAndRestart(
        { dataDir: await dataDir(), databaseUrl: database().url, kafkaBrokers: kafkaBrokers() },
        async (pipeline) => {
          expect(pipeline.transport).toBe('kafka')
          expect(pipeline.dispatcher!.stats()).toMatchObject({ deadLettered: 0 })
          expect(pipeline.dispatcher!.stats().delivered).toBeGreaterThan(0)
          // A server restart drops npm start's idle status connection: once an unhandled 'error'
          // event that ended the whole pipeline.
          const { rowCount } = await database().pool.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = 'npm-start-status'`
          )
          expect(rowCount).toBe(1)
          await new Promise((resolve) => setTimeout(resolve, 200))
          expect((await pipeline.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
        }
      )
    }, 300_000)
  })
})
