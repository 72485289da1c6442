// The whole pipeline on one machine: database (embedded or DATABASE_URL), the four functions as
// separate HTTP servers speaking their cluster contracts, transport (direct HTTP, or Kafka with a
// KafkaSource-like dispatcher), and PingSource-like ticks for the producer and the sweeper.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

import { Kafka, logLevel } from 'kafkajs'

import { migrate } from '../../shared/db/migrate.ts'
import type { Pool } from '../../shared/db/pool.ts'
import { createPool } from '../../shared/db/pool.ts'
import { FLIGHT_RAW_DATA_TOPIC } from '../../shared/events/index.ts'
import type { Logger } from '../../shared/logger.ts'
import type { EmbeddedPostgres } from './embedded-postgres.ts'
import { startEmbeddedPostgres } from './embedded-postgres.ts'
import type { KafkaDispatcher } from './kafka-dispatcher.ts'
import { startKafkaDispatcher } from './kafka-dispatcher.ts'
import type { FunctionProcess, StartFunctionOptions } from './processes.ts'
import { ROOT, startFunction } from './processes.ts'
import type { Ticker } from './ticker.ts'
import { startTicker } from './ticker.ts'

export const SOURCES = ['simulate', 'opensky', 'replay'] as const
export type Source = (typeof SOURCES)[number]

/** The KafkaSource's consumer group in the cluster manifests; the local dispatcher uses it too. */
export const CONSUMER_GROUP = 'skytrail-processor'
export const DEAD_LETTER_TOPIC = `${FLIGHT_RAW_DATA_TOPIC}_dead_letter`
const PARTITIONS = 6
const WAYPOINT_INTERVAL_SECONDS = 300
const FLIGHT_TIMEOUT_SECONDS = 1200
const SWEEP_EVERY_SECONDS = 300
/**
 * Over HTTP, the functions must not reach for a broker named in the caller's environment (which
 * they inherit): an empty KAFKA_BROKERS counts as unset.
 */
const NO_KAFKA = { KAFKA_BROKERS: '' }

export interface LocalPipelineOptions {
  /** Folder for the embedded database and the logs (default .data). */
  dataDir: string
  /** An external PostgreSQL; embedded PGlite when absent. */
  databaseUrl?: string
  /** Real Kafka; the producer posts straight to the processor when absent. */
  kafkaBrokers?: string[]
  /** Where states come from; absent: live OpenSky when reachable, else the simulator. */
  source?: Source
  /** Simulation speed: aircraft move N times as fast and the time rules shrink N times. */
  speed: number
  /** Dashboard port (8080 by default, 0 for any). */
  dashboardPort: number
  /** Seconds between producer ticks; absent: 300 for OpenSky, 10 / speed for the others. */
  producerEverySeconds?: number
  /** Simulated fleet size. */
  aircraft?: number
  /** Recorded responses for `replay`. */
  replayPath?: string
  /** Copy the functions' log lines to this stream. */
  echoLogs?: NodeJS.WritableStream
  logger: Logger
}

export interface LocalPipeline {
  dashboardUrl: string
  /** The functions' JSON log files, `<function>.log`. */
  logDir: string
  database: { kind: 'embedded' | 'external'; url: string; location: string }
  transport: 'http' | 'kafka'
  source: Source
  sourceReason: string
  functions: Record<'producer' | 'processor' | 'sweeper' | 'dashboard', FunctionProcess>
  tickers: { producer: Ticker; sweeper: Ticker }
  dispatcher?: KafkaDispatcher
  /** A pool on the database for status queries (1 connection). */
  pool: Pool
  stop(): Promise<void>
}

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const { logger } = options
  const logDir = join(options.dataDir, 'logs')
  mkdirSync(logDir, { recursive: true })
  const cleanups: (() => Promise<unknown>)[] = []
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      await step().catch((err: unknown) => logger.warn({ err }, 'stopping a part failed'))
    }
  }

  try {
    let embedded: EmbeddedPostgres | undefined
    const pgliteDir = join(options.dataDir, 'pglite')
    if (!options.databaseUrl) {
      mkdirSync(pgliteDir, { recursive: true })
      embedded = await startEmbeddedPostgres({ dataDir: pgliteDir })
      cleanups.push(() => embedded!.stop())
    }
    const databaseUrl = options.databaseUrl ?? embedded!.url
    await migrate({ databaseUrl, logger })
    // The shared pool logs a connection a server restart drops; a bare pg.Pool would throw it and
    // end the whole pipeline.
    const pool = createPool(databaseUrl, { max: 1, applicationName: 'npm-start-status', logger })
    cleanups.push(() => pool.end())

    const { source, reason } = await chooseSource(options)
    const speed = options.speed
    const rules = {
      WAYPOINT_INTERVAL_SECONDS: String(Math.max(1, Math.round(WAYPOINT_INTERVAL_SECONDS / speed))),
      FLIGHT_TIMEOUT_SECONDS: String(Math.max(2, Math.round(FLIGHT_TIMEOUT_SECONDS / speed))),
    }
    const common = {
      DATABASE_URL: databaseUrl,
      // Every connection to embedded PostgreSQL waits its turn; more than two buys nothing.
      ...(embedded && { DATABASE_POOL_MAX: '2' }),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    }
    const started = (fn: FunctionProcess) => {
      cleanups.push(() => fn.stop())
      return fn
    }
    const start = (
      name: StartFunctionOptions['name'],
      env: Record<string, string>,
      port?: number
    ) => startFunction({ name, env, port, logDir, echo: options.echoLogs }).then(started)

    const processor = await start('processor', { ...common, ...rules })
    const kafka = options.kafkaBrokers?.length ? options.kafkaBrokers : undefined
    let dispatcher: KafkaDispatcher | undefined
    if (kafka) {
      await ensureTopics(kafka)
      dispatcher = await startKafkaDispatcher({
        brokers: kafka,
        topic: FLIGHT_RAW_DATA_TOPIC,
        groupId: CONSUMER_GROUP,
        sink: `${processor.url}/`,
        deadLetterTopic: DEAD_LETTER_TOPIC,
        logger,
      })
      cleanups.push(() => dispatcher!.stop())
    }
    const [sweeper, dashboard] = await Promise.all([
      start('sweeper', {
        ...common,
        FLIGHT_TIMEOUT_SECONDS: rules.FLIGHT_TIMEOUT_SECONDS,
        ...(kafka
          ? {
              KAFKA_BROKERS: kafka.join(','),
              KAFKA_CONSUMER_GROUP: CONSUMER_GROUP,
              KAFKA_TOPIC: FLIGHT_RAW_DATA_TOPIC,
            }
          : NO_KAFKA),
      }),
      start('dashboard', { ...common }, options.dashboardPort),
    ])
    const producer = await start('producer', {
      LOG_LEVEL: common.LOG_LEVEL,
      PRODUCER_SOURCE: source,
      KAFKA_PARTITIONS: String(PARTITIONS),
      ...(kafka
        ? { KAFKA_BROKERS: kafka.join(','), KAFKA_TOPIC: FLIGHT_RAW_DATA_TOPIC }
        : { ...NO_KAFKA, K_SINK: `${processor.url}/` }),
      SIMULATION_SPEED: String(speed),
      ...(options.aircraft && { SIMULATION_AIRCRAFT: String(options.aircraft) }),
      ...(source === 'replay' && {
        REPLAY_PATH: options.replayPath ?? join(ROOT, 'tests', 'fixtures', 'opensky'),
        REPLAY_SPEED: String(speed),
      }),
    })

    // The producer stops first on shutdown (cleanups run in reverse), so nothing new arrives
    // while the rest drains.
    const producerEverySeconds =
      options.producerEverySeconds ?? (source === 'opensky' ? 300 : Math.max(1, 10 / speed))
    const tickers = {
      sweeper: startTicker({
        name: 'sweeper-tick',
        url: `${sweeper.url}/`,
        everyMs: Math.max(2, SWEEP_EVERY_SECONDS / speed) * 1000,
        immediately: false,
        logger,
      }),
      producer: startTicker({
        name: 'producer-tick',
        url: `${producer.url}/`,
        everyMs: producerEverySeconds * 1000,
        immediately: true,
        logger,
      }),
    }
    cleanups.push(() => tickers.sweeper.stop())
    cleanups.push(() => tickers.producer.stop())

    return {
      dashboardUrl: dashboard.url.replace('127.0.0.1', 'localhost'),
      logDir,
      database: embedded
        ? { kind: 'embedded', url: databaseUrl, location: pgliteDir }
        : { kind: 'external', url: databaseUrl, location: redact(databaseUrl) },
      transport: kafka ? 'kafka' : 'http',
      source,
      sourceReason: reason,
      functions: { producer, processor, sweeper, dashboard },
      tickers,
      dispatcher,
      pool,
      stop: cleanup,
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/**
 * Live OpenSky when its API answers at all (a HEAD costs no credits; credentials are optional),
 * otherwise the simulator.
 */
async function chooseSource(
  options: LocalPipelineOptions
): Promise<{ source: Source; reason: string }> {
  if (options.source) {
    if (options.source === 'replay' && options.replayPath && !existsSync(options.replayPath)) {
      throw new Error(`replay path ${options.replayPath} does not exist`)
    }
    return { source: options.source, reason: 'chosen with --source' }
  }
  const api = process.env.OPENSKY_API_URL ?? 'https://opensky-network.org/api'
  const host = new URL(api).hostname
  try {
    await fetch(api, { method: 'HEAD', signal: AbortSignal.timeout(5_000) })
    return { source: 'opensky', reason: `${host} answers` }
  } catch {
    return { source: 'simulate', reason: `${host} cannot be reached, so traffic is simulated` }
  }
}

/** flight_raw_data with one partition per producer bucket, and its dead-letter topic. */
async function ensureTopics(brokers: string[]) {
  const admin = new Kafka({ clientId: 'skytrail-local', brokers, logLevel: logLevel.ERROR }).admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const topics = [
      { topic: FLIGHT_RAW_DATA_TOPIC, numPartitions: PARTITIONS },
      { topic: DEAD_LETTER_TOPIC, numPartitions: 1 },
    ].filter(({ topic }) => !existing.has(topic))
    if (topics.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics })
    }
  } finally {
    await admin.disconnect()
  }
}

function redact(url: string): string {
  const parsed = new URL(url)
  parsed.password = parsed.password ? '***' : ''
  return parsed.toString()
}
