import type { Logger } from '../../shared/logger.ts'
import type { StatesEnvelope } from '../../shared/opensky/state-vector.ts'
import { statesEnvelopeSchema } from '../../shared/opensky/state-vector.ts'
import type { BoundingBox } from './bbox.ts'
import type { TokenProvider } from './opensky-auth.ts'
import { fetchFailure, OpenSkyError } from './opensky-error.ts'
import { backoffDelay, sleep as defaultSleep } from './retry.ts'

export type StatesResponse =
  | {
      kind: 'ok'
      envelope: StatesEnvelope
      /** The response body as received, for recording. */
      body: string
      creditsRemaining: number | null
    }
  | { kind: 'rate-limited'; retryAfterSeconds: number | null; creditsRemaining: number | null }
  | { kind: 'bad-response'; problem: string; creditsRemaining: number | null }

export interface OpenSkyClientOptions {
  /** e.g. `https://opensky-network.org/api` */
  apiUrl: string
  bbox: BoundingBox
  /** null polls anonymously. */
  auth: TokenProvider | null
  /** Per request, including reading the body. */
  timeoutMs: number
  /** Extra attempts after a 5xx, a timeout or a network error. */
  retries: number
  retryBaseDelayMs: number
  logger: Logger
  sleep?: (ms: number) => Promise<void>
}

export interface OpenSkyClient {
  /** The request URL (bounding box and `extended=1`). */
  readonly url: string
  /**
   * One poll of `/states/all`. Resolves with the states, a 429 or a malformed response; throws
   * {@link OpenSkyError} when OpenSky could not be reached or kept failing after the retries.
   * `onRequest` is called for every HTTP request sent: the retries and the re-send after a token
   * refresh each cost credits too. Once `deadline` aborts, the request under way is cancelled
   * and no retry follows.
   */
  fetchStates(onRequest?: () => void, deadline?: AbortSignal): Promise<StatesResponse>
}

const RATE_LIMIT_REMAINING = 'x-rate-limit-remaining'
const RATE_LIMIT_RETRY_AFTER = 'x-rate-limit-retry-after-seconds'

/**
 * Client for OpenSky's `GET /states/all` over one bounding box with `extended=1` (18 fields per
 * row, `category` included). 5xx answers, timeouts and network errors are retried with backoff;
 * a 401 refreshes the token once; a 429 is reported, never retried (retrying costs nothing but
 * gains nothing either until the retry-after has passed).
 * @see https://openskynetwork.github.io/opensky-api/rest.html#all-state-vectors
 */
export function createOpenSkyClient(options: OpenSkyClientOptions): OpenSkyClient {
  const { bbox, auth, logger } = options
  const sleep = options.sleep ?? defaultSleep
  const query = new URLSearchParams({
    lamin: String(bbox.lamin),
    lomin: String(bbox.lomin),
    lamax: String(bbox.lamax),
    lomax: String(bbox.lomax),
    extended: '1',
  })
  const url = `${options.apiUrl.replace(/\/+$/, '')}/states/all?${query.toString()}`

  const send = async (
    refreshedToken: boolean,
    onRequest?: () => void,
    deadline?: AbortSignal
  ): Promise<Response> => {
    // Before the token and the credit a request costs.
    if (deadline?.aborted) {
      throw outOfTime()
    }
    const headers: Record<string, string> = { accept: 'application/json' }
    if (auth) {
      headers.authorization = `Bearer ${await auth.token()}`
    }
    let response: Response
    onRequest?.()
    const timeout = AbortSignal.timeout(options.timeoutMs)
    try {
      response = await fetch(url, {
        headers,
        signal: deadline ? AbortSignal.any([timeout, deadline]) : timeout,
      })
    } catch (err) {
      throw deadline?.aborted ? outOfTime() : fetchFailure(err)
    }
    if (response.status === 401 && auth && !refreshedToken) {
      await response.body?.cancel()
      logger.info('OpenSky answered 401, refreshing the token once')
      auth.invalidate()
      return send(true, onRequest, deadline)
    }
    return response
  }

  const attempt = async (
    onRequest?: () => void,
    deadline?: AbortSignal
  ): Promise<StatesResponse> => {
    const response = await send(false, onRequest, deadline)
    const creditsRemaining = headerNumber(response.headers.get(RATE_LIMIT_REMAINING))
    if (response.status === 429) {
      await response.body?.cancel()
      return {
        kind: 'rate-limited',
        retryAfterSeconds: headerNumber(response.headers.get(RATE_LIMIT_RETRY_AFTER)),
        creditsRemaining,
      }
    }
    let body: string
    try {
      body = await response.text()
    } catch (err) {
      throw fetchFailure(err)
    }
    if (!response.ok) {
      const kind = response.status === 401 || response.status === 403 ? 'unauthorized' : 'http'
      throw new OpenSkyError(
        kind,
        `OpenSky answered ${response.status}: ${body.slice(0, 200)}`,
        response.status
      )
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch (err) {
      return { kind: 'bad-response', problem: `malformed JSON: ${String(err)}`, creditsRemaining }
    }
    const result = statesEnvelopeSchema.safeParse(parsed)
    if (!result.success) {
      const issue = result.error.issues[0]
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
      return {
        kind: 'bad-response',
        problem: `not a states envelope: ${where}${issue?.message ?? 'invalid'}`,
        creditsRemaining,
      }
    }
    // The rows exactly as received: the schema checks that `states` is an array without copying it.
    return { kind: 'ok', envelope: result.data, body, creditsRemaining }
  }

  return {
    url,
    async fetchStates(onRequest, deadline) {
      for (let retry = 0; ; retry++) {
        try {
          return await attempt(onRequest, deadline)
        } catch (err) {
          if (!isRetryable(err) || retry >= options.retries) {
            throw err
          }
          if (deadline?.aborted) {
            throw outOfTime()
          }
          const wait = backoffDelay(retry, { baseDelayMs: options.retryBaseDelayMs })
          logger.warn(
            { err: (err as Error).message, retry: retry + 1, waitMs: Math.round(wait) },
            'OpenSky request failed, retrying'
          )
          await sleep(wait)
        }
      }
    },
  }
}

function isRetryable(err: unknown): boolean {
  if (!(err instanceof OpenSkyError)) {
    return false
  }
  return (
    err.kind === 'network' ||
    err.kind === 'timeout' ||
    (err.kind === 'http' && err.status !== undefined && err.status >= 500)
  )
}

function headerNumber(value: string | null): number | null {
  if (value === null || value.trim() === '') {
    return null
  }
  const number = Number(value)
  return Number.isFinite(number) ? number : null
}

/** The tick's deadline passed: the poll gives up as timed out, without another retry. */
function outOfTime(): OpenSkyError {
  return new OpenSkyError('timeout', "stopped: the tick's time ran out")
}
