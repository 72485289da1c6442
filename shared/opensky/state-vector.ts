import { z } from 'zod'

/** 9999-12-31T23:59:59Z: later Unix times do not fit PostgreSQL's timestamptz. */
const MAX_UNIX_SECONDS = 253_402_300_799
const unixSeconds = z.number().int().min(0).max(MAX_UNIX_SECONDS)

/**
 * OpenSky `/api/states/all` response: `states` is null (not []) when nothing matched.
 * @see https://openskynetwork.github.io/opensky-api/rest.html#all-state-vectors
 */
export const statesEnvelopeSchema = z.object({
  time: unixSeconds,
  // Only checked to be an array: z.array() would copy the rows into a new one with a result
  // object each (1.4 MB for 10,000 rows, about 2 ms a delivery with its garbage collection),
  // and parseStateRows checks every row anyway.
  states: z.custom<unknown[]>(Array.isArray, 'expected an array of state rows').nullable(),
})

export type StatesEnvelope = z.infer<typeof statesEnvelopeSchema>

/** Index of each field in a state vector; rows are positional arrays of 17 fields, 18 with `extended=1`. */
export const STATE_FIELD = Object.freeze({
  icao24: 0,
  callsign: 1,
  originCountry: 2,
  timePosition: 3,
  lastContact: 4,
  longitude: 5,
  latitude: 6,
  baroAltitude: 7,
  onGround: 8,
  velocity: 9,
  trueTrack: 10,
  verticalRate: 11,
  sensors: 12,
  geoAltitude: 13,
  squawk: 14,
  spi: 15,
  positionSource: 16,
  category: 17,
})

export const MIN_STATE_FIELDS = 17
/** The longest callsign kept (OpenSky's are 8 characters, space-padded). */
export const MAX_CALLSIGN_LENGTH = 32

type StateField = keyof typeof STATE_FIELD

/**
 * What one field of a row must hold: its type, the bounds of a number or the most characters of
 * a text, and whether it may be null. Rules are data read by one function, {@link accepts}, rather
 * than a zod schema or a closure per field: this runs for every field of every row of every poll.
 * zod allocated about 4 KB per row (40 MB per 10,000-row batch); with a closure per field the one
 * call site saw 16 functions and 10,000 rows took 6.5 ms, against 4.7 ms with one function the
 * engine inlines.
 */
interface FieldRule {
  field: StateField
  /** Position in the row (`STATE_FIELD[field]`), looked up once. */
  index: number
  type: 'icao24' | 'text' | 'number' | 'integer' | 'boolean'
  min: number
  max: number
  nullable: boolean
  /** What the field must hold, for the problem message. */
  expected: string
}

const ICAO24 = /^[0-9a-fA-F]{6}$/

function accepts(rule: FieldRule, value: unknown): boolean {
  if (value === null) {
    return rule.nullable
  }
  switch (rule.type) {
    case 'icao24':
      return typeof value === 'string' && ICAO24.test(value)
    case 'text':
      // PostgreSQL refuses NUL characters in text.
      return typeof value === 'string' && value.length <= rule.max && !value.includes('\0')
    case 'number':
      return typeof value === 'number' && value >= rule.min && value <= rule.max
    case 'integer':
      return (
        Number.isInteger(value) && (value as number) >= rule.min && (value as number) <= rule.max
      )
    case 'boolean':
      return typeof value === 'boolean'
  }
}

function rule(
  field: StateField,
  type: FieldRule['type'],
  expected: string,
  { min = 0, max = 0, nullable = false }: { min?: number; max?: number; nullable?: boolean } = {}
): FieldRule {
  return { field, index: STATE_FIELD[field], type, min, max, nullable, expected }
}

const nullableText = (field: StateField, maxLength: number) =>
  rule(field, 'text', `text of at most ${maxLength} characters without NUL, or null`, {
    max: maxLength,
    nullable: true,
  })

/** A measurement: bounded so unit conversions stay finite (OpenSky's largest are ~30,000). */
const measurement = (field: StateField) =>
  rule(field, 'number', 'a number from -1e9 to 1e9, or null', {
    min: -1e9,
    max: 1e9,
    nullable: true,
  })

/**
 * The rules in the order of the row. `sensors` (12) is not read, and `category` (17) is
 * optional: an unknown one becomes null.
 */
const FIELD_RULES: readonly FieldRule[] = [
  rule('icao24', 'icao24', '6 hex digits'),
  nullableText('callsign', MAX_CALLSIGN_LENGTH),
  nullableText('originCountry', 128),
  rule('timePosition', 'integer', 'whole Unix seconds, or null', {
    max: MAX_UNIX_SECONDS,
    nullable: true,
  }),
  rule('lastContact', 'integer', 'whole Unix seconds', { max: MAX_UNIX_SECONDS }),
  rule('longitude', 'number', 'a number from -180 to 180, or null', {
    min: -180,
    max: 180,
    nullable: true,
  }),
  rule('latitude', 'number', 'a number from -90 to 90, or null', {
    min: -90,
    max: 90,
    nullable: true,
  }),
  measurement('baroAltitude'),
  rule('onGround', 'boolean', 'true or false'),
  measurement('velocity'),
  measurement('trueTrack'),
  measurement('verticalRate'),
  measurement('geoAltitude'),
  nullableText('squawk', 8),
  rule('spi', 'boolean', 'true, false or null', { nullable: true }),
  rule('positionSource', 'integer', 'an integer from 0 to 3, or null', { max: 3, nullable: true }),
]

/** A validated state vector: icao24 lower-case, callsign trimmed (null when empty). */
export interface StateVector {
  icao24: string
  callsign: string | null
  originCountry: string | null
  timePosition: number | null
  lastContact: number
  longitude: number | null
  latitude: number | null
  baroAltitude: number | null
  onGround: boolean
  velocity: number | null
  trueTrack: number | null
  verticalRate: number | null
  geoAltitude: number | null
  squawk: string | null
  spi: boolean
  positionSource: number | null
  /** Aircraft category 0..20 (only with `extended=1`); null when absent or unknown. */
  category: number | null
}

export type StateVectorResult =
  { ok: true; state: StateVector } | { ok: false; field?: string; message: string }

/**
 * Reads one state vector by index. Longer rows are accepted and the extra fields ignored, because
 * OpenSky has added fields before (`category`) and clients in the wild see 17, 18 or 19.
 */
export function parseStateVector(row: unknown): StateVectorResult {
  if (!Array.isArray(row) || row.length < MIN_STATE_FIELDS) {
    return { ok: false, message: `not an array of at least ${MIN_STATE_FIELDS} fields` }
  }
  const values: readonly unknown[] = row
  for (const rule of FIELD_RULES) {
    const value = values[rule.index]
    if (!accepts(rule, value)) {
      return {
        ok: false,
        field: rule.field,
        message: `expected ${rule.expected}, got ${describe(value)}`,
      }
    }
  }
  // Every field was checked above, so these casts only name what the rules established.
  // Upper case, as ICAO writes them, so a search matches whatever case a receiver reported.
  const callsign = (values[STATE_FIELD.callsign] as string | null)?.trim().toUpperCase() || null
  // Upper-casing can lengthen a text ('ß' becomes 'SS').
  if (callsign !== null && callsign.length > MAX_CALLSIGN_LENGTH) {
    return {
      ok: false,
      field: 'callsign',
      message: `expected at most ${MAX_CALLSIGN_LENGTH} characters in upper case, got ${callsign.length}`,
    }
  }
  return {
    ok: true,
    state: {
      icao24: (values[STATE_FIELD.icao24] as string).toLowerCase(),
      callsign,
      originCountry: values[STATE_FIELD.originCountry] as string | null,
      timePosition: values[STATE_FIELD.timePosition] as number | null,
      lastContact: values[STATE_FIELD.lastContact] as number,
      longitude: values[STATE_FIELD.longitude] as number | null,
      latitude: values[STATE_FIELD.latitude] as number | null,
      baroAltitude: values[STATE_FIELD.baroAltitude] as number | null,
      onGround: values[STATE_FIELD.onGround] as boolean,
      velocity: values[STATE_FIELD.velocity] as number | null,
      trueTrack: values[STATE_FIELD.trueTrack] as number | null,
      verticalRate: values[STATE_FIELD.verticalRate] as number | null,
      geoAltitude: values[STATE_FIELD.geoAltitude] as number | null,
      squawk: values[STATE_FIELD.squawk] as string | null,
      spi: (values[STATE_FIELD.spi] as boolean | null) ?? false,
      positionSource: values[STATE_FIELD.positionSource] as number | null,
      category: categoryOf(values[STATE_FIELD.category]),
    },
  }
}

/** A short rendering of a rejected value for the problem list: never the whole of a long text. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)
  }
  if (value === undefined || typeof value === 'number' || typeof value === 'boolean') {
    return String(value)
  }
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
}

function categoryOf(value: unknown): number | null {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 20
    ? (value as number)
    : null
}

export interface ParsedStates {
  time: number
  states: StateVector[]
  /** Rows that are not a valid state vector; each is dropped on its own, never the whole batch. */
  invalid: number
  /** First few problems, for logs and the response summary. */
  problems: string[]
}

const MAX_REPORTED_PROBLEMS = 5

/**
 * How far a state's last contact may lie after its envelope's `time`. OpenSky's never does; one
 * far ahead would freeze its aircraft, since every later real state would be older than it.
 */
export const MAX_CONTACT_AHEAD_SECONDS = 300

/** Validates each row of an already validated envelope; invalid rows are counted and skipped. */
export function parseStateRows(envelope: StatesEnvelope): ParsedStates {
  const rows = envelope.states ?? []
  const states: StateVector[] = []
  const problems: string[] = []
  let invalid = 0
  for (let index = 0; index < rows.length; index++) {
    const result = refuseContactAhead(parseStateVector(rows[index]), envelope.time)
    if (result.ok) {
      states.push(result.state)
      continue
    }
    invalid++
    if (problems.length < MAX_REPORTED_PROBLEMS) {
      const where = result.field ? `states[${index}].${result.field}` : `states[${index}]`
      problems.push(`${where}: ${result.message}`)
    }
  }
  return { time: envelope.time, states, invalid, problems }
}

/** The result as it is, or invalid when its last contact lies too far after the envelope's time. */
function refuseContactAhead(result: StateVectorResult, time: number): StateVectorResult {
  if (result.ok && result.state.lastContact > time + MAX_CONTACT_AHEAD_SECONDS) {
    return {
      ok: false,
      field: 'lastContact',
      message: `${result.state.lastContact} is more than ${MAX_CONTACT_AHEAD_SECONDS} s after the envelope's time ${time}`,
    }
  }
  return result
}
