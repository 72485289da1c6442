import { HTTP } from 'cloudevents'

import type { Logger } from '../../../shared/logger.ts'
import type { StatesEvent } from '../events.ts'
import { fetchFailure } from '../opensky-error.ts'
import { backoffDelay, sleep as defaultSleep } from '../retry.ts'
import { type EventSink, SinkError } from './sink.ts'

export interface HttpSinkOptions {
  /** K_SINK: the URL a Knative SinkBinding injects (a broker, a channel, the processor...). */
  url: string
  timeoutMs: number
  /** Extra attempts per event after a failure or a non-2xx answer. */
  retries: number
  retryBaseDelayMs?: number
  /** Events posted at the same time. */
  concurrency?: number
  logger: Logger
  sleep?: (ms: number) => Promise<void>
}

/**
 * POSTs each event to `url` in CloudEvents binary mode (attributes in `ce-*` headers, the JSON
 * envelope as the body), buckets in parallel. Anything but a 2xx is retried with backoff, since
 * the receiver (KafkaSource-like semantics, or a broker) signals overload with 429/5xx.
 */
export function createHttpSink(options: HttpSinkOptions): EventSink {
  const { url, logger } = options
  const sleep = options.sleep ?? defaultSleep
  const baseDelayMs = options.retryBaseDelayMs ?? 500
  const concurrency = Math.max(1, options.concurrency ?? 6)

  const post = async (event: StatesEvent): Promise<number> => {
    const message = HTTP.binary(event)
    const body = message.body as string
    const headers = Object.fromEntries(
      Object.entries(message.headers).map(([name, value]) => [name, String(value)])
    )
    for (let retry = 0; ; retry++) {
      let problem: string
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(options.timeoutMs),
        })
        const text = await response.text()
        if (response.ok) {
          return Buffer.byteLength(body)
        }
        problem = `${url} answered ${response.status}: ${text.slice(0, 200)}`
      } catch (err) {
        problem = `POST ${url} failed: ${fetchFailure(err).message}`
      }
      if (retry >= options.retries) {
        throw new Error(problem)
      }
      const wait = backoffDelay(retry, { baseDelayMs })
      logger.warn({ id: event.id, problem, retry: retry + 1, waitMs: Math.round(wait) }, 'retrying')
      await sleep(wait)
    }
  }

  return {
    kind: 'http',
    async send(events) {
      let bytes = 0
      const undelivered: StatesEvent[] = []
      const problems: string[] = []
      const queue = [...events]
      const worker = async () => {
        for (let event = queue.shift(); event; event = queue.shift()) {
          try {
            // not `bytes += await ...`: that reads `bytes` before the await and loses updates
            const sent = await post(event)
            bytes += sent
          } catch (err) {
            undelivered.push(event)
            problems.push((err as Error).message)
          }
        }
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, events.length) }, worker))
      if (undelivered.length > 0) {
        throw new SinkError(
          `${undelivered.length} of ${events.length} events not delivered: ${problems[0]}`,
          undelivered
        )
      }
      return { bytes }
    },
    close: () => Promise.resolve(),
  }
}
