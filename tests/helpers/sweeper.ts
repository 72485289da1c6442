import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { CloudEvent, HTTP } from 'cloudevents'
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

/** A local K_SINK: records every CloudEvent POSTed to it, and can refuse them for a while. */
export interface AlertReceiver {
  url: string
  /** Events answered with 2xx, in arrival order. */
  accepted: CloudEvent<unknown>[]
  /** Events answered with `refuseWith`, in arrival order. */
  refused: CloudEvent<unknown>[]
  /** While set, every request gets this status (e.g. 503) instead of 202. */
  refuseWith: number | undefined
  close(): Promise<void>
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
  const receiver: AlertReceiver = {
    url: '',
    accepted: [],
    refused: [],
    refuseWith: undefined,
    close: async () => {},
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      try {
        const decoded = HTTP.toEvent({
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        })
        const events = (Array.isArray(decoded) ? decoded : [decoded]) as CloudEvent<unknown>[]
        const status = receiver.refuseWith
        ;(status === undefined ? receiver.accepted : receiver.refused).push(...events)
        response.writeHead(status ?? 202).end()
      } catch (err) {
        response.writeHead(400).end(String(err))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  receiver.url = `http://127.0.0.1:${port}/`
  receiver.close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()))
      server.closeAllConnections()
    })
  return receiver
}
