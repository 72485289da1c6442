import { MIN_STATE_FIELDS, STATE_FIELD } from '../../shared/opensky/state-vector.ts'

/**
 * 32-bit FNV-1a of a string's UTF-16 code units: tiny, fast and stable across processes, Node
 * versions and languages, unlike a random-seeded runtime hash.
 * @see http://www.isthe.com/chongo/tech/comp/fnv/index.html
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** The bucket (= Kafka partition) of an aircraft: FNV-1a of the lower-case icao24, mod `count`. */
export function bucketOf(icao24: string, count: number): number {
  return fnv1a32(icao24.trim().toLowerCase()) % count
}

export interface BucketedRows {
  /** `rows[b]` holds the rows of bucket b, in the order OpenSky sent them. */
  rows: unknown[][]
  /** Rows that cannot be keyed: not an array of at least 17 fields with a string icao24. */
  dropped: number
}

/** Splits a response's rows into `count` buckets by icao24; rows stay untouched. */
export function bucketRows(states: readonly unknown[] | null, count: number): BucketedRows {
  const rows: unknown[][] = Array.from({ length: count }, () => [])
  let dropped = 0
  for (const row of states ?? []) {
    const icao24: unknown = Array.isArray(row) ? row[STATE_FIELD.icao24] : undefined
    if (!Array.isArray(row) || row.length < MIN_STATE_FIELDS || typeof icao24 !== 'string') {
      dropped++
      continue
    }
    rows[bucketOf(icao24, count)]?.push(row)
  }
  return { rows, dropped }
}
