import { z } from 'zod'

import { baseEnv, booleanFlag, parseConfig, positiveInt, postgresUrl } from '../../shared/config.ts'
import { tileOrigin } from './security.ts'

/** The Service's `timeoutSeconds` (knative/dashboard). */
export const REVISION_TIMEOUT_SECONDS = 300

/** A raster tile URL template such as `https://tile.example.org/{z}/{x}/{y}.png`. */
const tileUrlTemplate = z
  .string()
  .refine(
    (value) => tileOrigin(value) !== null,
    'must be an http:// or https:// URL with a plain host name (optionally {s}.)'
  )
  .refine(
    (value) => ['{z}', '{x}', '{y}'].every((part) => value.includes(part)),
    'must contain {z}, {x} and {y}'
  )

/** Environment variables the dashboard reads (the cluster manifests must provide the required ones). */
export const envSchema = z.object({
  ...baseEnv,
  /** Should name a role that may only read (see functions/dashboard/README.md). */
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_MAX: positiveInt.default(5),
  /** How often the page polls /api/live and /api/status. */
  DASHBOARD_REFRESH_SECONDS: positiveInt.max(3600).default(5),
  /**
   * Concurrent viewers within this many milliseconds share one /api/live query instead of each
   * scanning live_flights; 0 turns the sharing off.
   */
  DASHBOARD_LIVE_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /**
   * Data older than this is shown as stale. Not tied to the sweeper's alert threshold
   * (FRESHNESS_THRESHOLD_SECONDS): same default, configured separately.
   */
  DASHBOARD_STALE_SECONDS: positiveInt.default(300),
  /**
   * Serve GET /metrics. Off by default because the dashboard is the public Service: the
   * Prometheus text names routes, counts and process internals nobody outside needs.
   */
  DASHBOARD_METRICS: booleanFlag.default(false),
  /** Raster tiles under the aircraft; unset, the page draws bundled country outlines only. */
  DASHBOARD_TILE_URL: tileUrlTemplate.optional(),
  DASHBOARD_TILE_ATTRIBUTION: z.string().max(300).optional(),
})

function toConfig(env: z.output<typeof envSchema>) {
  return {
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    refreshSeconds: env.DASHBOARD_REFRESH_SECONDS,
    liveCacheMs: env.DASHBOARD_LIVE_CACHE_MS,
    staleSeconds: env.DASHBOARD_STALE_SECONDS,
    metricsEnabled: env.DASHBOARD_METRICS,
    tileUrl: env.DASHBOARD_TILE_URL ?? null,
    tileAttribution: env.DASHBOARD_TILE_ATTRIBUTION ?? null,
  }
}

export type DashboardConfig = ReturnType<typeof toConfig>

export function loadConfig(env?: Record<string, string | undefined>): DashboardConfig {
  return parseConfig(envSchema.transform(toConfig), env)
}
