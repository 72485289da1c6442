// PingSource stand-in: sends a `dev.knative.sources.ping` CloudEvent (binary mode) to a function
// on a schedule, retrying like PingSource does (sdk-go: 404, 413, 425, 429, 502, 503, 504 and
// network errors, up to 5 times, 100 ms doubling), never two ticks at once.
import { randomUUID } from 'node:crypto'

import { CloudEvent } from 'cloudevents'

import { PING_EVENT_TYPE } from '../../shared/events/index.ts'
import { toBinaryRequest } from '../../shared/http/binary-request.ts'
import type { Logger } from '../../shared/logger.ts'

const RETRYABLE = new Set([404, 413, 425, 429, 502, 503, 504])
const RETRIES = 5

export interface Ticker {
  /** Ticks sent so far, and how many answers were failures (retried ones too), with the last's reason. */
  stats(): { ticks: number; failures: number; lastFailure?: string }
  /** Sends one tick now and waits for its answer. */
  tick(): Promise<void>
  stop(): Promise<void>
}

export interface TickerOptions {
  /** The PingSource's name, part of the event source. */
  name: string
  url: string
  everyMs: number
  /** Send the first tick at once (the producer) or after one period, as a schedule would. */
  immediately: boolean
  logger: Logger
}

export function startTicker(options: TickerOptions): Ticker {
  const { logger } = options
  let ticks = 0
  let failures = 0
  let lastFailure: string | undefined
  let running: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const send = async () => {
    const event = new CloudEvent({
      id: randomUUID(),
      type: PING_EVENT_TYPE,
      source: `/apis/v1/namespaces/local/pingsources/${options.name}`,
      datacontenttype: 'application/json',
      data: {},
    })
    const { headers, body } = toBinaryRequest(event)
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers,
          body,
        })
        const report: unknown = await response.json().catch(() => undefined)
        if (response.status >= 300) {
          failures++
          const error = (report as { error?: unknown } | undefined)?.error
          lastFailure = typeof error === 'string' ? error : `HTTP ${response.status}`
        }
        if (!RETRYABLE.has(response.status) || attempt >= RETRIES) {
          if (response.status >= 300) {
            logger.warn({ ticker: options.name, status: response.status, report }, 'tick failed')
          }
          return
        }
      } catch (err) {
        if (attempt >= RETRIES) {
          logger.warn({ ticker: options.name, err }, 'tick could not be delivered')
          return
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
    }
  }

  const tick = () => {
    running = running.then(async () => {
      ticks++
      await send()
    })
    return running
  }

  const loop = () => {
    void tick().then(() => {
      if (!stopped) {
        timer = setTimeout(loop, options.everyMs)
      }
    })
  }
  if (options.immediately) {
    loop()
  } else {
    timer = setTimeout(loop, options.everyMs)
  }

  return {
    stats: () => ({ ticks, failures, lastFailure }),
    tick,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
