import type { AddressInfo } from 'node:net'

import { serve } from '@hono/node-server'
import type { Hono } from 'hono'

import type { Logger } from '../logger.ts'

export interface ServeOptions {
  app: Hono
  port: number
  logger: Logger
  /** Releases what the function holds (pools, Kafka clients) after the last request finished. */
  onShutdown?: () => Promise<void>
  /**
   * How long in-flight requests may take after SIGTERM. Knative's grace period is the revision's
   * `timeoutSeconds`: a few seconds below it, so the process still exits on its own.
   */
  shutdownTimeoutMs?: number
}

export interface RunningServer {
  port: number
  /** Stops accepting connections, waits for in-flight requests, then runs `onShutdown`. */
  close(): Promise<void>
}

/**
 * Serves a function's Hono app on `port` and shuts down cleanly on SIGTERM (what Knative sends
 * after draining) or SIGINT: no new connections, in-flight deliveries finish and are answered,
 * then the pool is closed and the process exits.
 */
export async function serveApp(options: ServeOptions): Promise<RunningServer> {
  const { app, logger, onShutdown, shutdownTimeoutMs = 25_000 } = options
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: options.port }, () => resolve(started))
  })
  const port = (server.address() as AddressInfo).port
  logger.info({ port }, 'listening')

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive connections with no request in flight would hold close() open.
        if ('closeIdleConnections' in server) {
          server.closeIdleConnections()
        }
      })
      await onShutdown?.()
    })()
    return closing
  }

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: shutdownTimeoutMs }, 'shutdown timed out, exiting')
      process.exit(1)
    }, shutdownTimeoutMs)
    timer.unref()
    close().then(
      () => {
        logger.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      }
    )
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)

  return { port, close }
}
