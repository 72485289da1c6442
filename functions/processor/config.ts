import { z } from 'zod'

import { baseEnv, parseConfig, positiveInt, postgresUrl } from '../../shared/config.ts'

/** The Service's `timeoutSeconds` (knative/processor): one delivery may take this long. */
export const REVISION_TIMEOUT_SECONDS = 60

const MIB = 1024 * 1024

/** Environment variables the processor reads (the cluster manifests must provide the required ones). */
export const envSchema = z.object({
  ...baseEnv,
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_MAX: positiveInt.default(10),
  /** The 5-minute rule: at most one route waypoint per flight in this many seconds of data time. */
  WAYPOINT_INTERVAL_SECONDS: positiveInt.default(300),
  /** Silence after which a returning aircraft starts a new flight (the sweeper's timeout too). */
  FLIGHT_TIMEOUT_SECONDS: positiveInt.default(1200),
  /**
   * Largest accepted request body. The producer's biggest event is a whole-world poll in one
   * bucket: about 13,000 states at ~130 bytes each (1.7 MB); 16 MiB leaves room for
   * pretty-printed JSON and larger boxes.
   */
  MAX_BODY_BYTES: positiveInt.default(16 * MIB),
})

function toConfig(env: z.output<typeof envSchema>) {
  return {
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    waypointIntervalSeconds: env.WAYPOINT_INTERVAL_SECONDS,
    flightTimeoutSeconds: env.FLIGHT_TIMEOUT_SECONDS,
    maxBodyBytes: env.MAX_BODY_BYTES,
  }
}

export type ProcessorConfig = ReturnType<typeof toConfig>

export function loadConfig(env?: Record<string, string | undefined>): ProcessorConfig {
  return parseConfig(envSchema.transform(toConfig), env)
}
