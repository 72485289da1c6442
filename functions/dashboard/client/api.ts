import type { ErrorResponse, LiveResponse } from '../api-types.ts'

/** An API answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

/**
 * How long a request may take. The server answers 503 well within this when its database is
 * slow; without a limit, one request lost on the way would stop the polling loop for good.
 */
const REQUEST_TIMEOUT_MS = 20_000

/** Aborts after the request timeout, or earlier when `signal` does. */
function timeoutSignal(signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  return signal ? AbortSignal.any([signal, timeout]) : timeout
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    headers: { Accept: 'application/json' },
    signal: timeoutSignal(signal),
  })
  if (!response.ok) {
    throw await apiError(response)
  }
  return (await response.json()) as T
}

/** The error of a failed answer, with the server's message when it sent one. */
async function apiError(response: Response): Promise<ApiError> {
  let message = `HTTP ${response.status}`
  try {
    message = ((await response.json()) as ErrorResponse).error || message
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message)
}

/**
 * Polls /api/live with the last ETag, so an unchanged fleet costs a 304 and no parsing (the ETag
 * covers the aircraft data, not the body's `time`). The browser's own cache is bypassed because
 * it would turn the 304 back into a 200 with the old body.
 */
export class LiveFeed {
  private etag: string | null = null

  /** Makes the next call fetch the whole state even if it did not change. */
  forget(): void {
    this.etag = null
  }

  /** The new state, or null when nothing changed since the last call. */
  async next(): Promise<LiveResponse | null> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (this.etag) {
      headers['If-None-Match'] = this.etag
    }
    const response = await fetch('/api/live', {
      headers,
      cache: 'no-store',
      signal: timeoutSignal(),
    })
    if (response.status === 304) {
      return null
    }
    if (!response.ok) {
      throw await apiError(response)
    }
    const body = (await response.json()) as LiveResponse
    this.etag = response.headers.get('ETag')
    return body
  }
}
