/** Why a request to OpenSky (token or states) failed. */
export type OpenSkyErrorKind = 'network' | 'timeout' | 'http' | 'unauthorized' | 'bad-response'

export class OpenSkyError extends Error {
  override name = 'OpenSkyError'
  readonly kind: OpenSkyErrorKind
  readonly status: number | undefined

  constructor(kind: OpenSkyErrorKind, message: string, status?: number) {
    super(message)
    this.kind = kind
    this.status = status
  }
}

/** A readable reason for a fetch failure: undici hides the cause (ECONNREFUSED...) one level down. */
export function fetchFailure(err: unknown): OpenSkyError {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new OpenSkyError('timeout', 'timed out')
  }
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : ''
    return new OpenSkyError('network', `${err.message}${cause}`)
  }
  return new OpenSkyError('network', String(err))
}
