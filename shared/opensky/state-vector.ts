import { z } from 'zod'

/**
 * OpenSky `/api/states/all` response: `states` is null (not []) when nothing matched.
 * @see https://openskynetwork.github.io/opensky-api/rest.html#all-state-vectors
 */
/** 9999-12-31T23:59:59Z: later Unix times do not fit PostgreSQL's timestamptz. */
const MAX_UNIX_SECONDS = 253_402_300_799
const unixSeconds = z.number().int().min(0).max(MAX_UNIX_SECONDS)

export const statesEnvelopeSchema = z.object({
  time: unixSeconds,
  states: z.array(z.unknown()).nullable(),
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

const ICAO24 = /^[0-9a-fA-F]{6}$/
/** A measurement: bounded so unit conversions stay finite (OpenSky's largest are ~30,000). */
const optionalNumber = z.number().min(-1e9).max(1e9).nullable()
/** Text for a text column: PostgreSQL refuses NUL characters. */
const text = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .regex(/^[^\0]*$/, 'must not contain NUL characters')

/**
 * The fields of a state vector by name. Rows are positional arrays, but zod compiles object
 * schemas into fast validators and checks tuples element by element (about 2x slower for a
 * 10,000-row batch), so a row is first spread into an object by {@link STATE_FIELD}.
 */
export const stateVectorFieldsSchema = z.object({
  icao24: z.string().regex(ICAO24, 'icao24 must be 6 hex digits'),
  callsign: text(32).nullable(),
  originCountry: text(128).nullable(),
  timePosition: unixSeconds.nullable(),
  lastContact: unixSeconds,
  longitude: z.number().min(-180).max(180).nullable(),
  latitude: z.number().min(-90).max(90).nullable(),
  baroAltitude: optionalNumber,
  onGround: z.boolean(),
  velocity: optionalNumber,
  trueTrack: optionalNumber,
  verticalRate: optionalNumber,
  geoAltitude: optionalNumber,
  squawk: text(8).nullable(),
  spi: z.boolean().nullable(),
  positionSource: z.number().int().min(0).max(3).nullable(),
})

/** A validated state vector: icao24 lower-case, callsign trimmed (null when empty). */
export interface StateVector extends Omit<z.output<typeof stateVectorFieldsSchema>, 'spi'> {
  spi: boolean
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
  const result = stateVectorFieldsSchema.safeParse({
    icao24: values[STATE_FIELD.icao24],
    callsign: values[STATE_FIELD.callsign],
    originCountry: values[STATE_FIELD.originCountry],
    timePosition: values[STATE_FIELD.timePosition],
    lastContact: values[STATE_FIELD.lastContact],
    longitude: values[STATE_FIELD.longitude],
    latitude: values[STATE_FIELD.latitude],
    baroAltitude: values[STATE_FIELD.baroAltitude],
    onGround: values[STATE_FIELD.onGround],
    velocity: values[STATE_FIELD.velocity],
    trueTrack: values[STATE_FIELD.trueTrack],
    verticalRate: values[STATE_FIELD.verticalRate],
    geoAltitude: values[STATE_FIELD.geoAltitude],
    squawk: values[STATE_FIELD.squawk],
    spi: values[STATE_FIELD.spi],
    positionSource: values[STATE_FIELD.positionSource],
  })
  if (!result.success) {
    const issue = result.error.issues[0]
    return { ok: false, field: issue?.path.join('.'), message: issue?.message ?? 'invalid' }
  }
  // zod returns a new object: normalise it in place rather than copy 10,000 of them again.
  const state = result.data as StateVector
  state.icao24 = state.icao24.toLowerCase()
  state.callsign = state.callsign?.trim() || null
  state.spi ??= false
  state.category = categoryOf(values[STATE_FIELD.category])
  return { ok: true, state }
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

/** Validates each row of an already validated envelope; invalid rows are counted and skipped. */
export function parseStateRows(envelope: StatesEnvelope): ParsedStates {
  const rows = envelope.states ?? []
  const states: StateVector[] = []
  const problems: string[] = []
  let invalid = 0
  for (let index = 0; index < rows.length; index++) {
    const result = parseStateVector(rows[index])
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
