import { randomUUID } from 'node:crypto'

import { CloudEvent } from 'cloudevents'
import type pg from 'pg'

import type { SweeperDeps } from '../../functions/sweeper/app.ts'
import { createApp } from '../../functions/sweeper/app.ts'
import { loadConfig } from '../../functions/sweeper/config.ts'
import type { TickReport } from '../../functions/sweeper/tick.ts'
import { createPool } from '../../shared/db/pool.ts'
import { PING_EVENT_TYPE } from '../../shared/events/index.ts'
import { createMetricsRegistry } from '../../shared/http/metrics.ts'
import type { Logger } from '../../shared/logger.ts'
import { silentLogger } from '../../shared/logger.ts'
import { asBinary } from '../fixtures/events.ts'

/** What PingSource sends: a `dev.knative.sources.ping` event in binary mode, a new id per tick. */
export function pingTick(): RequestInit {
  return asBinary(
    new CloudEvent<unknown>({
      id: randomUUID(),
      type: PING_EVENT_TYPE,
      source: '/apis/v1/namespaces/skytrail/pingsources/sweeper-tick',
      datacontenttype: 'application/json',
      data: { job: 'sweep' },
    })
  )
}

export interface TestSweeper {
  app: ReturnType<typeof createApp>
  pool: pg.Pool
  registry: ReturnType<typeof createMetricsRegistry>
  /** POSTs a tick and returns the status and the JSON body. */
  tick(): Promise<{ status: number; body: TickReport & { error?: string; details?: TickReport } }>
}

/**
 * A sweeper app on its own pool, configured from `env` exactly as in production (DATABASE_URL is
 * filled in). Pools are collected in `pools` so the test file can close them.
 */
export function createTestSweeper(
  databaseUrl: string,
  env: Record<string, string> = {},
  {
    pools,
    logger = silentLogger,
    ...deps
  }: { pools: pg.Pool[]; logger?: Logger } & Partial<
    Pick<SweeperDeps, 'measureLag' | 'sendAlertEvent'>
  >
): TestSweeper {
  const config = loadConfig({ DATABASE_URL: databaseUrl, ...env })
  const pool = createPool(config.databaseUrl, {
    max: config.databasePoolMax,
    applicationName: 'sweeper-test',
    logger,
    connectionTimeoutMillis: 2_000,
  })
  pools.push(pool)
  const registry = createMetricsRegistry('sweeper')
  const app = createApp({ config, logger, pool, registry, ...deps })
  return {
    app,
    pool,
    registry,
    async tick() {
      const response = await app.request('/', pingTick())
      return {
        status: response.status,
        body: (await response.json()) as TickReport & { error?: string; details?: TickReport },
      }
    },
  }
}
