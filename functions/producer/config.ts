import { z } from 'zod'

import {
  baseEnv,
  booleanFlag,
  commaList,
  parseConfig,
  positiveInt,
  positiveNumber,
} from '../../shared/config.ts'
import { FLIGHT_RAW_DATA_TOPIC } from '../../shared/events/index.ts'
import { DACH_BBOX, parseBoundingBox } from './bbox.ts'
import { DAILY_CREDITS, type OpenSkyTier } from './credits.ts'
import { DEFAULT_PENDING_LIMITS } from './poller.ts'

/**
 * The Service's `timeoutSeconds` (knative/producer): one tick, a poll with OpenSky's retries and
 * then the sink, may take this long.
 */
export const REVISION_TIMEOUT_SECONDS = 120

/**
 * A tick stops polling and delivering this long after it started, so that its answer (503, the
 * undelivered events kept for the next tick) reaches PingSource before Knative cuts the request
 * off: OpenSky's retries and the sink's together may otherwise take longer than the revision
 * timeout.
 */
export const TICK_BUDGET_SECONDS = REVISION_TIMEOUT_SECONDS - 10

export const SOURCES = ['opensky', 'replay', 'simulate', 'record'] as const
export type SourceName = (typeof SOURCES)[number]

const boundingBox = z.string().transform((text, ctx) => {
  try {
    return parseBoundingBox(text)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message })
    return z.NEVER
  }
})

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })

/** Environment variables the producer reads; functions/producer/README.md explains them. */
export const envSchema = z.object({
  ...baseEnv,
  /** Where states come from: live OpenSky, a recording, the simulator, or live while recording. */
  PRODUCER_SOURCE: z.enum(SOURCES).default('opensky'),
  /** Local mode: poll on an own timer every N seconds (off when unset; PingSource drives it). */
  PRODUCER_INTERVAL_SECONDS: positiveNumber.optional(),

  /** Buckets per poll = partitions of the topic; bucket b is written to partition b. */
  KAFKA_PARTITIONS: positiveInt.max(1000).default(6),
  KAFKA_BROKERS: commaList.optional(),
  KAFKA_TOPIC: z.string().min(1).default(FLIGHT_RAW_DATA_TOPIC),
  KAFKA_CLIENT_ID: z.string().min(1).default('skytrail-producer'),
  KAFKA_COMPRESSION: z.enum(['gzip', 'none']).default('gzip'),
  /** HTTP sink (what a Knative SinkBinding injects), used when KAFKA_BROKERS is not set. */
  K_SINK: httpUrl.optional(),
  SINK_TIMEOUT_SECONDS: positiveNumber.default(30),
  SINK_RETRIES: z.coerce.number().int().min(0).max(10).default(4),
  /** Undelivered events are sent again on later ticks until this old (either sink)... */
  PRODUCER_PENDING_MAX_AGE_SECONDS: positiveNumber.default(DEFAULT_PENDING_LIMITS.maxAgeMs / 1000),
  /** ...or until this many deliveries of them failed; then they are dropped (and counted). */
  PRODUCER_PENDING_MAX_ATTEMPTS: positiveInt.max(1000).default(DEFAULT_PENDING_LIMITS.maxAttempts),

  OPENSKY_API_URL: httpUrl.default('https://opensky-network.org/api'),
  OPENSKY_AUTH_URL: httpUrl.default(
    'https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token'
  ),
  OPENSKY_CLIENT_ID: z.string().min(1).optional(),
  OPENSKY_CLIENT_SECRET: z.string().min(1).optional(),
  /** Path of the credentials.json OpenSky offers (clientId, clientSecret). */
  OPENSKY_CREDENTIALS_FILE: z.string().min(1).optional(),
  OPENSKY_BBOX: boundingBox.default(DACH_BBOX),
  /** Default: standard with credentials, anonymous without. */
  OPENSKY_TIER: z.enum(['anonymous', 'standard', 'feeder']).optional(),
  /** Overrides the tier's daily credits (e.g. a share of them when two producers poll). */
  OPENSKY_DAILY_CREDITS: positiveInt.optional(),
  OPENSKY_TIMEOUT_SECONDS: positiveNumber.default(20),
  OPENSKY_RETRIES: z.coerce.number().int().min(0).max(10).default(2),

  /** A recorded response (.json or .json.gz) or a folder of them, played in path order. */
  REPLAY_PATH: z.string().min(1).optional(),
  REPLAY_SPEED: positiveNumber.default(1),
  REPLAY_LOOP: booleanFlag.default(true),
  /** Gaps between recorded responses that are longer (or negative) are played as this long. */
  REPLAY_MAX_GAP_SECONDS: positiveNumber.default(300),
  /** Where `record` saves each live response (gzip, one folder per UTC day). */
  RECORD_DIR: z.string().min(1).optional(),

  SIMULATION_SEED: z.coerce.number().int().default(1),
  /** Simulated fleet; about half of it is inside the DACH box at any moment. */
  SIMULATION_AIRCRAFT: z.coerce.number().int().min(0).max(200_000).default(600),
  SIMULATION_SPEED: positiveNumber.default(1),
})

type Env = z.output<typeof envSchema>

function checkCombinations(env: Env, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [path], message })
  if (!env.KAFKA_BROKERS && !env.K_SINK) {
    issue(
      'KAFKA_BROKERS',
      'set KAFKA_BROKERS (write to Kafka) or K_SINK (POST CloudEvents over HTTP): neither is set'
    )
  }
  if (Boolean(env.OPENSKY_CLIENT_ID) !== Boolean(env.OPENSKY_CLIENT_SECRET)) {
    issue('OPENSKY_CLIENT_SECRET', 'OPENSKY_CLIENT_ID and OPENSKY_CLIENT_SECRET go together')
  }
  if (env.OPENSKY_CLIENT_ID && env.OPENSKY_CREDENTIALS_FILE) {
    issue('OPENSKY_CREDENTIALS_FILE', 'set either OPENSKY_CREDENTIALS_FILE or OPENSKY_CLIENT_ID')
  }
  if (env.OPENSKY_TIER && env.OPENSKY_TIER !== 'anonymous' && !hasCredentials(env)) {
    // without credentials OpenSky grants the anonymous budget, whatever the account's tier
    issue(
      'OPENSKY_TIER',
      `OPENSKY_TIER=${env.OPENSKY_TIER} needs OpenSky credentials (OPENSKY_CLIENT_ID and ` +
        'OPENSKY_CLIENT_SECRET, or OPENSKY_CREDENTIALS_FILE): anonymous polls get ' +
        `${DAILY_CREDITS.anonymous} credits a day`
    )
  }
  if (env.PRODUCER_SOURCE === 'replay' && !env.REPLAY_PATH) {
    issue('REPLAY_PATH', 'PRODUCER_SOURCE=replay needs REPLAY_PATH (a file or folder)')
  }
  if (env.PRODUCER_SOURCE === 'record' && !env.RECORD_DIR) {
    issue('RECORD_DIR', 'PRODUCER_SOURCE=record needs RECORD_DIR')
  }
}

function hasCredentials(env: Env): boolean {
  return Boolean(env.OPENSKY_CLIENT_ID || env.OPENSKY_CREDENTIALS_FILE)
}

function toConfig(env: Env) {
  const tier: OpenSkyTier = env.OPENSKY_TIER ?? (hasCredentials(env) ? 'standard' : 'anonymous')
  return {
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    source: env.PRODUCER_SOURCE,
    intervalSeconds: env.PRODUCER_INTERVAL_SECONDS ?? null,
    buckets: env.KAFKA_PARTITIONS,
    sink: env.KAFKA_BROKERS
      ? {
          kind: 'kafka' as const,
          brokers: env.KAFKA_BROKERS,
          topic: env.KAFKA_TOPIC,
          clientId: env.KAFKA_CLIENT_ID,
          compression: env.KAFKA_COMPRESSION,
        }
      : {
          kind: 'http' as const,
          // checkCombinations guarantees one of the two.
          url: env.K_SINK as string,
          timeoutMs: env.SINK_TIMEOUT_SECONDS * 1000,
          retries: env.SINK_RETRIES,
        },
    tickBudgetMs: TICK_BUDGET_SECONDS * 1000,
    pendingLimits: {
      maxAgeMs: env.PRODUCER_PENDING_MAX_AGE_SECONDS * 1000,
      maxAttempts: env.PRODUCER_PENDING_MAX_ATTEMPTS,
    },
    opensky: {
      apiUrl: env.OPENSKY_API_URL,
      authUrl: env.OPENSKY_AUTH_URL,
      credentials:
        env.OPENSKY_CLIENT_ID && env.OPENSKY_CLIENT_SECRET
          ? { clientId: env.OPENSKY_CLIENT_ID, clientSecret: env.OPENSKY_CLIENT_SECRET }
          : null,
      credentialsFile: env.OPENSKY_CREDENTIALS_FILE ?? null,
      bbox: env.OPENSKY_BBOX,
      tier,
      dailyCredits: env.OPENSKY_DAILY_CREDITS ?? DAILY_CREDITS[tier],
      timeoutMs: env.OPENSKY_TIMEOUT_SECONDS * 1000,
      retries: env.OPENSKY_RETRIES,
    },
    replay: {
      path: env.REPLAY_PATH ?? null,
      speed: env.REPLAY_SPEED,
      loop: env.REPLAY_LOOP,
      maxGapSeconds: env.REPLAY_MAX_GAP_SECONDS,
    },
    recordDir: env.RECORD_DIR ?? null,
    simulation: {
      seed: env.SIMULATION_SEED,
      aircraft: env.SIMULATION_AIRCRAFT,
      speed: env.SIMULATION_SPEED,
    },
  }
}

export type ProducerConfig = ReturnType<typeof toConfig>

export function loadConfig(env?: Record<string, string | undefined>): ProducerConfig {
  return parseConfig(envSchema.superRefine(checkCombinations).transform(toConfig), env)
}
