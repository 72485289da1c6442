import { z } from 'zod'

/**
 * OpenSky `/api/states/all` response: `states` is null (not []) when nothing matched.
 * @see https://openskynetwork.github.io/opensky-api/rest.html#all-state-vectors
 */
export const statesEnvelopeSchema = z.object({
  time: z.number().int().nonnegative(),
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

const ICAO24 = /^[0-9a-f]{6}$/
const unixSeconds = z.number().int().nonnegative()
const optionalNumber = z.number().finite().nullable()

/**
 * One state vector, read by index. Longer rows are accepted and the extra fields ignored, because
 * OpenSky has added fields before (`category`) and clients in the wild see 17, 18 or 19.
 */
export const stateVectorSchema = z
  .tuple([
    z
      .string()
      .transform((value) => value.trim().toLowerCase())
      .pipe(z.string().regex(ICAO24, 'icao24 must be 6 hex digits')),
    z
      .string()
      .nullable()
      .transform((value) => value?.trim() || null),
    z.string().nullable(),
    unixSeconds.nullable(),
    unixSeconds,
    z.number().min(-180).max(180).nullable(),
    z.number().min(-90).max(90).nullable(),
    optionalNumber,
    z.boolean(),
    optionalNumber,
    optionalNumber,
    optionalNumber,
    z.unknown(),
    optionalNumber,
    z.string().nullable(),
    z.boolean().nullable(),
    z.number().int().min(0).max(3).nullable(),
  ])
  .rest(z.unknown())
  .transform((row) => ({
    icao24: row[0],
    callsign: row[1],
    originCountry: row[2],
    timePosition: row[3],
    lastContact: row[4],
    longitude: row[5],
    latitude: row[6],
    baroAltitude: row[7],
    onGround: row[8],
    velocity: row[9],
    trueTrack: row[10],
    verticalRate: row[11],
    geoAltitude: row[13],
    squawk: row[14],
    spi: row[15] ?? false,
    positionSource: row[16],
    category: categoryOf(row[17]),
  }))

export type StateVector = z.output<typeof stateVectorSchema>

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
    const result = stateVectorSchema.safeParse(rows[index])
    if (result.success) {
      states.push(result.data)
      continue
    }
    invalid++
    if (problems.length < MAX_REPORTED_PROBLEMS) {
      const issue = result.error.issues[0]
      const where = issue?.path.length ? `[${issue.path.join('][')}]` : ''
      problems.push(`states[${index}]${where}: ${issue?.message ?? 'invalid'}`)
    }
  }
  return { time: envelope.time, states, invalid, problems }
}
