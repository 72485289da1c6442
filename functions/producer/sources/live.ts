import type { Logger } from '../../../shared/logger.ts'
import type { CreditPacer } from '../credits.ts'
import type { ProducerErrorKind } from '../metrics.ts'
import type { OpenSkyClient, StatesResponse } from '../opensky-client.ts'
import { OpenSkyError } from '../opensky-error.ts'
import type { PollResult, StatesSource } from './source.ts'

export interface LiveSourceOptions {
  client: OpenSkyClient
  pacer: CreditPacer
  eventSource: string
  logger: Logger
  /** Called with every good response before it is emitted (the `record` source saves it). */
  onResponse?: (response: Extract<StatesResponse, { kind: 'ok' }>) => Promise<void>
  name?: 'opensky' | 'record'
}

/**
 * Live OpenSky polling within the credit budget: a tick the pacer refuses is skipped with the
 * time of the next poll; every request sent is charged to the pacer, answered or not.
 */
export function createLiveSource(options: LiveSourceOptions): StatesSource {
  const { client, pacer, logger } = options
  const remaining = (nowMs: number) => pacer.snapshot(nowMs).creditsRemaining
  const next = (nowMs: number) => pacer.snapshot(nowMs).nextPollAt

  return {
    name: options.name ?? 'opensky',
    eventSource: options.eventSource,
    async poll(nowMs, deadline): Promise<PollResult> {
      const decision = pacer.check(nowMs)
      if (!decision.allowed) {
        const at = new Date(decision.nextPollAt).toISOString()
        return {
          kind: 'skipped',
          reason: decision.reason,
          message:
            decision.reason === 'rate-limited'
              ? `OpenSky rate limit: next poll at ${at}`
              : `credit budget: next poll at ${at}`,
          creditsRemaining: remaining(nowMs),
          nextPollAt: decision.nextPollAt,
        }
      }
      let response: StatesResponse
      let requests = 0
      try {
        response = await client.fetchStates(() => requests++, deadline)
      } catch (err) {
        pacer.recordRequest(nowMs, null, requests)
        const failure = err instanceof OpenSkyError ? err : new OpenSkyError('network', String(err))
        return {
          kind: 'failed',
          errorKind: errorKindOf(failure),
          message: `OpenSky request failed: ${failure.message}`,
          creditsRemaining: remaining(nowMs),
          nextPollAt: next(nowMs),
        }
      }
      if (response.kind === 'rate-limited') {
        // The 429 itself costs nothing; the failed requests before it may have.
        pacer.recordRequest(nowMs, null, requests - 1)
        pacer.recordRateLimited(nowMs, response.retryAfterSeconds)
        const at = new Date(next(nowMs)).toISOString()
        return {
          kind: 'skipped',
          reason: 'rate-limited',
          message: `OpenSky answered 429 (retry after ${response.retryAfterSeconds ?? 'unknown'} s): next poll at ${at}`,
          creditsRemaining: response.creditsRemaining,
          nextPollAt: next(nowMs),
        }
      }
      pacer.recordRequest(nowMs, response.creditsRemaining, requests)
      if (response.kind === 'bad-response') {
        return {
          kind: 'failed',
          errorKind: 'bad_response',
          message: `OpenSky sent a bad response: ${response.problem}`,
          creditsRemaining: response.creditsRemaining,
          nextPollAt: next(nowMs),
        }
      }
      if (options.onResponse) {
        await options.onResponse(response).catch((err: unknown) => {
          logger.error({ err }, 'could not save the response')
        })
      }
      return {
        kind: 'states',
        envelope: response.envelope,
        creditsRemaining: response.creditsRemaining,
        nextPollAt: next(nowMs),
      }
    },
    status(nowMs) {
      const snapshot = pacer.snapshot(nowMs)
      return {
        url: client.url,
        costPerPoll: snapshot.cost,
        dailyCredits: snapshot.dailyCredits,
        averageIntervalSeconds: Math.round(snapshot.minimumIntervalSeconds * 10) / 10,
        creditsRemaining: snapshot.creditsRemaining,
        nextPollAt: new Date(snapshot.nextPollAt).toISOString(),
      }
    },
  }
}

function errorKindOf(err: OpenSkyError): ProducerErrorKind {
  switch (err.kind) {
    case 'timeout':
      return 'opensky_timeout'
    case 'unauthorized':
      return 'opensky_unauthorized'
    case 'http':
      return 'opensky_http'
    case 'bad-response':
      return 'bad_response'
    default:
      return 'opensky_network'
  }
}
