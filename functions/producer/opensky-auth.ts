import { readFile } from 'node:fs/promises'

import { z } from 'zod'

import { fetchFailure, OpenSkyError } from './opensky-error.ts'

/** OpenSky API client credentials (OAuth2 client credentials grant). */
export interface OpenSkyCredentials {
  clientId: string
  clientSecret: string
}

const credentialsFileSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
})

/** Reads the `credentials.json` OpenSky offers for download (keys clientId, clientSecret). */
export async function readCredentialsFile(path: string): Promise<OpenSkyCredentials> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read OPENSKY_CREDENTIALS_FILE ${path}: ${String(err)}`, { cause: err })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new Error(`OPENSKY_CREDENTIALS_FILE ${path} is not JSON`)
  }
  const result = credentialsFileSchema.safeParse(parsed)
  if (!result.success) {
    throw new Error(
      `OPENSKY_CREDENTIALS_FILE ${path} must hold non-empty clientId and clientSecret`
    )
  }
  return result.data
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
})

/** OpenSky tokens live 30 minutes; the official client assumes so when expires_in is missing. */
const DEFAULT_EXPIRES_IN_SECONDS = 1800
/** Refresh this long before expiry so a token never expires in the middle of a request. */
const REFRESH_MARGIN_SECONDS = 60

export interface TokenProviderOptions {
  authUrl: string
  credentials: OpenSkyCredentials
  timeoutMs: number
  now?: () => number
}

export interface TokenProvider {
  /** A valid access token, from the cache while it has more than a minute left. */
  token(): Promise<string>
  /** Forgets the cached token (after a 401), so the next call fetches a new one. */
  invalidate(): void
}

/**
 * OAuth2 client-credentials tokens for the OpenSky API, cached and refreshed 60 s before they
 * expire; concurrent callers share one token request.
 * @see https://openskynetwork.github.io/opensky-api/rest.html#authentication
 */
export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const now = options.now ?? Date.now
  let cached: { token: string; refreshAt: number } | undefined
  let pending: Promise<string> | undefined

  const request = async (): Promise<string> => {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.credentials.clientId,
      client_secret: options.credentials.clientSecret,
    })
    let response: Response
    try {
      response = await fetch(options.authUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      })
    } catch (err) {
      const failure = fetchFailure(err)
      throw new OpenSkyError(failure.kind, `token request failed: ${failure.message}`)
    }
    const text = await response.text().catch(() => '')
    if (!response.ok) {
      const kind = response.status === 400 || response.status === 401 ? 'unauthorized' : 'http'
      throw new OpenSkyError(
        kind,
        `token request answered ${response.status}: ${text.slice(0, 200)}`,
        response.status
      )
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new OpenSkyError('bad-response', 'token response is not JSON')
    }
    const result = tokenResponseSchema.safeParse(parsed)
    if (!result.success) {
      throw new OpenSkyError('bad-response', 'token response has no access_token')
    }
    const lifetime = result.data.expires_in ?? DEFAULT_EXPIRES_IN_SECONDS
    const refreshIn = Math.max(0, lifetime - REFRESH_MARGIN_SECONDS)
    cached = { token: result.data.access_token, refreshAt: now() + refreshIn * 1000 }
    return cached.token
  }

  return {
    token() {
      if (cached && now() < cached.refreshAt) {
        return Promise.resolve(cached.token)
      }
      pending ??= request().finally(() => {
        pending = undefined
      })
      return pending
    },
    invalidate() {
      cached = undefined
    },
  }
}
