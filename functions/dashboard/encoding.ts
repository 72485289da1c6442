/**
 * True when an Accept-Encoding header allows gzip (`gzip`, `gzip;q=0.5`), false for `gzip;q=0`
 * or when gzip is not listed.
 */
export function acceptsGzip(header: string | undefined): boolean {
  return (
    header !== undefined &&
    /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*($|,))[\d.]+)?\s*($|,)/i.test(header)
  )
}
