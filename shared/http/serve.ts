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
   * The Knative revision's `timeoutSeconds` (its manifest's): the pod's grace period. It starts
   * before queue-proxy's drain, which lasts until 30 s pass without a request; only then comes
   * SIGTERM. So in-flight requests get what is left, less a margin for the process to exit on
   * its own before SIGKILL.
   */
  revisionTimeoutSeconds: number
}

/** queue-proxy's drain before SIGTERM, and the margin kept before SIGKILL. */
const DRAIN_SECONDS = 30
const EXIT_MARGIN_SECONDS = 5

/** How long in-flight requests may take after SIGTERM in a revision with this timeout. */
export function shutdownTimeoutMs(revisionTimeoutSeconds: number): number {
  return Math.max(1, revisionTimeoutSeconds - DRAIN_SECONDS - EXIT_MARGIN_SECONDS) * 1000
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
  const { app, logger, onShutdown, revisionTimeoutSeconds } = options
  const timeoutMs = shutdownTimeoutMs(revisionTimeoutSeconds)
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
      logger.error({ timeoutMs }, 'shutdown timed out, exiting')
      process.exit(1)
    }, timeoutMs)
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
