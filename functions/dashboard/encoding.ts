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

/** If-None-Match's weak comparison (RFC 9110, 13.1.2): `*`, or a tag with the same opaque part. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '')
  return (
    header !== undefined &&
    header
      .split(',')
      .some((candidate) => candidate.trim() === '*' || opaque(candidate) === opaque(etag))
  )
}
