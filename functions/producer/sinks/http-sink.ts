import { toBinaryRequest } from '../../../shared/http/binary-request.ts'
import { isFinalHttpStatus } from '../../../shared/http/knative-retry.ts'
import type { Logger } from '../../../shared/logger.ts'
import type { StatesEvent } from '../events.ts'
import { fetchFailure } from '../opensky-error.ts'
import { backoffDelay, sleep as defaultSleep } from '../retry.ts'
import { type EventSink, SinkError } from './sink.ts'

export interface HttpSinkOptions {
  /** K_SINK: the URL a Knative SinkBinding injects (a broker, a channel, the processor...). */
  url: string
  timeoutMs: number
  /** Extra attempts per event after a network error or a retryable answer. */
  retries: number
  retryBaseDelayMs?: number
  /** Buckets posted at the same time (the events of one bucket go one after another). */
  concurrency?: number
  logger: Logger
  sleep?: (ms: number) => Promise<void>
}

/** Why an event was left for a later tick once the tick's deadline passed. */
const OUT_OF_TIME = "the tick's time ran out; it goes again on a later tick"

type PostOutcome = { ok: true; bytes: number } | { ok: false; final: boolean; problem: string }

/**
 * POSTs each event to `url` in CloudEvents binary mode (attributes in `ce-*` headers, the JSON
 * envelope as the body), buckets in parallel, each bucket's events oldest first. Network errors,
 * 404, 408, 409, 429 and 5xx are retried with backoff (how a broker or receiver signals
 * overload); any other 4xx rejects the event for good. An event still failing after its retries
 * keeps the later events of its bucket undelivered too, so that they never overtake it.
 */
export function createHttpSink(options: HttpSinkOptions): EventSink {
  const { url, logger } = options
  const sleep = options.sleep ?? defaultSleep
  const baseDelayMs = options.retryBaseDelayMs ?? 500
  const concurrency = Math.max(1, options.concurrency ?? 6)

  const post = async (event: StatesEvent, deadline?: AbortSignal): Promise<PostOutcome> => {
    const { headers, body } = toBinaryRequest(event)
    const attemptSignal = () => {
      const timeout = AbortSignal.timeout(options.timeoutMs)
      return deadline ? AbortSignal.any([timeout, deadline]) : timeout
    }
    for (let retry = 0; ; retry++) {
      if (deadline?.aborted) {
        return { ok: false, final: false, problem: `POST ${url} not attempted: ${OUT_OF_TIME}` }
      }
      let problem: string
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: attemptSignal(),
        })
        const text = await response.text()
        if (response.ok) {
          return { ok: true, bytes: Buffer.byteLength(body ?? '') }
        }
        problem = `${url} answered ${response.status}: ${text.slice(0, 200)}`
        if (isFinalHttpStatus(response.status)) {
          return { ok: false, final: true, problem }
        }
      } catch (err) {
        problem = deadline?.aborted
          ? `POST ${url} stopped: ${OUT_OF_TIME}`
          : `POST ${url} failed: ${fetchFailure(err).message}`
      }
      if (retry >= options.retries || deadline?.aborted) {
        return { ok: false, final: false, problem }
      }
      const wait = backoffDelay(retry, { baseDelayMs })
      logger.warn({ id: event.id, problem, retry: retry + 1, waitMs: Math.round(wait) }, 'retrying')
      await sleep(wait)
    }
  }

  return {
    kind: 'http',
    async send(events, deadline) {
      let bytes = 0
      const undelivered: StatesEvent[] = []
      const rejected: StatesEvent[] = []
      const problems: string[] = []
      // One lane per bucket, in order: a later event of a bucket never overtakes an earlier one
      // in backoff, while the buckets go in parallel.
      const deliverLane = async (lane: readonly StatesEvent[]) => {
        for (const [index, event] of lane.entries()) {
          const outcome = await post(event, deadline)
          if (outcome.ok) {
            bytes += outcome.bytes
            continue
          }
          problems.push(outcome.problem)
          if (outcome.final) {
            rejected.push(event)
            continue
          }
          // the rest of the bucket waits for the next tick, behind this event
          undelivered.push(...lane.slice(index))
          return
        }
      }
      const lanes = [...Map.groupBy(events, (event) => event.partitionkey).values()]
      const worker = async () => {
        for (let lane = lanes.shift(); lane; lane = lanes.shift()) {
          await deliverLane(lane)
        }
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, lanes.length) }, worker))
      if (problems.length > 0) {
        const failed = undelivered.length + rejected.length
        throw new SinkError(`${failed} of ${events.length} events not delivered: ${problems[0]}`, {
          undelivered,
          rejected,
          bytes,
        })
      }
      return { bytes }
    },
    close: () => Promise.resolve(),
  }
}
