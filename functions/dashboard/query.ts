import { z } from 'zod'

import type { FlightKey } from '../../shared/db/flight-search.ts'
import type { BoundingBox } from '../../shared/db/live-aircraft.ts'
import { BadRequestError } from '../../shared/http/errors.ts'
import { MAX_CALLSIGN_LENGTH } from '../../shared/opensky/state-vector.ts'

export const MAX_FLIGHTS_LIMIT = 500
export const DEFAULT_FLIGHTS_LIMIT = 50

const ICAO24 = /^[0-9a-f]{6}$/i
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const icao24Schema = z
  .string()
  .regex(ICAO24, 'must be 6 hexadecimal digits')
  .transform((value) => value.toLowerCase())

export const uuidSchema = z
  .string()
  .regex(UUID, 'must be a UUID')
  .transform((value) => value.toLowerCase())

// Instants the API accepts: four-digit years, which PostgreSQL and JavaScript both read alike.
const EARLIEST_INSTANT = Date.parse('0001-01-01T00:00:00Z')
const LATEST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z')

/**
 * An instant as the API read it: `text` for PostgreSQL (`$n::timestamptz`), in UTC with the
 * microseconds a JavaScript Date would cut, and the same instant in microseconds to compare.
 */
export interface Instant {
  text: string
  micros: bigint
}

/** Fractions of a second beyond the milliseconds a Date keeps (PostgreSQL keeps microseconds). */
const FRACTION = /T[\d:]+\.(\d+)/

/**
 * An instant as ISO 8601 with an offset (`2026-05-01T12:00:00Z`, at most microseconds) or as
 * Unix seconds.
 */
const instantSchema = z.string().transform((value, ctx): Instant => {
  const isUnixSeconds = /^\d{1,12}$/.test(value)
  const fraction = isUnixSeconds ? '' : (FRACTION.exec(value)?.[1] ?? '')
  const ms = isUnixSeconds
    ? Number(value) * 1000
    : z.iso.datetime({ offset: true }).safeParse(value).success && fraction.length <= 6
      ? Date.parse(value)
      : Number.NaN
  if (Number.isNaN(ms)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be an ISO 8601 time with offset (2026-05-01T12:00:00Z, at most 6 decimals) or Unix seconds',
    })
    return z.NEVER
  }
  if (ms < EARLIEST_INSTANT || ms > LATEST_INSTANT) {
    ctx.addIssue({ code: 'custom', message: 'must lie between the years 0001 and 9999 (UTC)' })
    return z.NEVER
  }
  return {
    // In UTC: ISO 8601 allows offsets up to 23:59, PostgreSQL only up to 15:59. The decimals
    // beyond the milliseconds go back in after them.
    text: `${new Date(ms).toISOString().slice(0, -1)}${fraction.slice(3)}Z`,
    // Date.parse keeps the first three decimals; the next three are the microseconds.
    micros: BigInt(ms) * 1000n + BigInt(fraction.slice(3).padEnd(3, '0')),
  }
})

/** A coordinate in plain decimal notation: `Number()` would also read '', '0x10' and '1e2'. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)$/

/** `bbox=west,south,east,north` in degrees (GeoJSON order); west > east crosses 180°. */
const bboxSchema = z.string().transform((value, ctx): BoundingBox => {
  const texts = value.split(',').map((part) => part.trim())
  const [west, south, east, north] = texts.map(Number)
  const valid =
    texts.length === 4 &&
    texts.every((text) => DECIMAL.test(text)) &&
    south !== undefined &&
    north !== undefined &&
    west !== undefined &&
    east !== undefined &&
    south >= -90 &&
    north <= 90 &&
    south <= north &&
    [west, east].every((longitude) => longitude >= -180 && longitude <= 180)
  if (!valid) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be west,south,east,north as decimal degrees, longitudes -180 to 180, latitudes -90 to 90, south <= north',
    })
    return z.NEVER
  }
  return { west: west, south: south, east: east, north: north }
})

export const liveQuerySchema = z.strictObject({ bbox: bboxSchema.optional() })

/** The opaque paging cursor: base64url of `[startTime, flightUuid]`. */
export function encodeCursor(key: FlightKey): string {
  return Buffer.from(JSON.stringify([key.startTime, key.flightUuid])).toString('base64url')
}

/**
 * PostgreSQL's text of a timestamptz in the ISO DateStyle, as `start_time::text` gives it:
 * `2026-05-01 10:00:00.123456+00` (offset `+HH` or `+HH:MM` in the session's time zone).
 */
const PG_TIMESTAMPTZ =
  /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.\d{1,6})?([+-])(\d{2})(?::(\d{2}))?$/

/**
 * True when `text` is a timestamp PostgreSQL will read as it stands. The shape alone lets
 * through `2026-02-30` or `99:99:99`, which `::timestamptz` rejects (SQLSTATE 22008), so the
 * date and time must survive a round trip through Date.parse unchanged (JavaScript rolls
 * February 30 over into March), and the offset must be one PostgreSQL accepts (at most 15 h).
 */
function isPostgresTimestamp(text: string): boolean {
  const match = PG_TIMESTAMPTZ.exec(text)
  if (!match) {
    return false
  }
  const [, date = '', time = '', sign = '+', offsetHours = '', offsetMinutes = '00'] = match
  if (date.startsWith('0000') || Number(offsetHours) > 15 || Number(offsetMinutes) > 59) {
    return false
  }
  const offset = `${sign}${offsetHours}:${offsetMinutes}`
  const instant = Date.parse(`${date}T${time}${offset}`)
  if (Number.isNaN(instant)) {
    return false
  }
  const offsetMs =
    (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000
  // The local date and time at that offset, written back: equal only for a real calendar date.
  return new Date(instant + offsetMs).toISOString().slice(0, 19) === `${date}T${time}`
}

const cursorSchema = z.string().transform((value, ctx): FlightKey => {
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(value)) {
      throw new Error('not base64url')
    }
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
    const [startTime, flightUuid] = z
      .tuple([z.string().refine(isPostgresTimestamp), uuidSchema])
      .parse(decoded)
    return { startTime, flightUuid }
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' })
    return z.NEVER
  }
})

const callsignSearchSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_CALLSIGN_LENGTH, `must be at most ${MAX_CALLSIGN_LENGTH} characters`)
  .regex(/^\P{Cc}+$/u, 'must not contain control characters')
  .transform((value) => value.toUpperCase())

export const flightsQuerySchema = z
  .strictObject({
    callsign: callsignSearchSchema.optional(),
    icao24: icao24Schema.optional(),
    from: instantSchema.optional(),
    to: instantSchema.optional(),
    limit: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(
        z
          .number()
          .min(1, 'must be at least 1')
          .max(MAX_FLIGHTS_LIMIT, `must be at most ${MAX_FLIGHTS_LIMIT}`)
      )
      .default(DEFAULT_FLIGHTS_LIMIT),
    cursor: cursorSchema.optional(),
  })
  .refine((query) => !query.from || !query.to || query.from.micros < query.to.micros, {
    message: 'must be later than from',
    path: ['to'],
  })

/**
 * Parses query parameters with `schema`; a failure is a 400 whose message names each bad
 * parameter (`limit: must be at most 500`), and an unknown parameter is one too.
 */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  query: Record<string, string | string[]>
): z.output<S> {
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value) && value.length > 1) {
      throw new BadRequestError(`query parameter ${name} must be given at most once`)
    }
  }
  const single = Object.fromEntries(
    Object.entries(query).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value])
  )
  const result = schema.safeParse(single)
  if (result.success) {
    return result.data
  }
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown query parameter ${issue.keys.join(', ')}`
    }
    return `${issue.path.join('.') || 'query'}: ${issue.message}`
  })
  throw new BadRequestError(`invalid query: ${problems.join('; ')}`, problems)
}

/** Validates one path parameter; a failure is a 400 naming it. */
export function parseParam<S extends z.ZodType>(
  schema: S,
  name: string,
  value: string
): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new BadRequestError(`${name}: ${result.error.issues[0]?.message ?? 'invalid'}`)
  }
  return result.data
}
