import { describe, expect, it } from 'vitest'

import {
  MAX_CONTACT_AHEAD_SECONDS,
  parseStateRows,
  parseStateVector,
  statesEnvelopeSchema,
} from './state-vector.ts'

function parse(row: unknown) {
  const result = parseStateVector(row)
  if (!result.ok) {
    throw new Error(result.message)
  }
  return result.state
}

const ROW = [
  '3C6703',
  'DLH453  ',
  'Germany',
  1604921480,
  1604921480,
  11.7085,
  48.3374,
  541.02,
  false,
  64.2,
  83.56,
  -3.58,
  null,
  678.18,
  '1161',
  false,
  0,
]

describe('OpenSky state vectors', () => {
  it('takes an envelope whose states are an array or null, rows unchecked and not copied', () => {
    const states = [ROW, 'not a row']
    expect(statesEnvelopeSchema.parse({ time: 1604921480, states }).states).toBe(states)
    expect(statesEnvelopeSchema.parse({ time: 1604921480, states: null }).states).toBeNull()
    const error = statesEnvelopeSchema.safeParse({
      time: 1604921480,
      states: { '3c6703': ROW },
    }).error
    expect(error?.issues).toMatchObject([
      { path: ['states'], message: 'expected an array of state rows' },
    ])
  })

  it('reads a 17-field row by index, trimming the callsign and lower-casing icao24', () => {
    expect(parse(ROW)).toMatchObject({
      icao24: '3c6703',
      callsign: 'DLH453',
      lastContact: 1604921480,
      longitude: 11.7085,
      latitude: 48.3374,
      velocity: 64.2,
      category: null,
    })
  })

  it('reads the category of 18-field rows and ignores fields beyond it', () => {
    expect(parse([...ROW, 4]).category).toBe(4)
    expect(parse([...ROW, 6, 'additional_unused']).category).toBe(6)
  })

  it('upper-cases the callsign, so a search finds it in any case a receiver reported', () => {
    const row = [...ROW]
    row[1] = 'n123ab  '
    expect(parse(row).callsign).toBe('N123AB')
  })

  it('maps an empty callsign to null', () => {
    const row = [...ROW]
    row[1] = '        '
    expect(parse(row).callsign).toBeNull()
  })

  it('counts invalid rows and keeps the valid ones', () => {
    const tooShort = ROW.slice(0, 16)
    const badLatitude = [...ROW]
    badLatitude[6] = 91
    const parsed = parseStateRows({ time: 1604921490, states: [ROW, tooShort, badLatitude, null] })
    expect(parsed.states).toHaveLength(1)
    expect(parsed.invalid).toBe(3)
    expect(parsed.problems).toEqual([
      'states[1]: not an array of at least 17 fields',
      expect.stringMatching(/^states\[2\]\.latitude: /) as unknown,
      'states[3]: not an array of at least 17 fields',
    ])
  })

  it('names the field and the rejected value of an invalid row', () => {
    const cases: [index: number, value: unknown, message: string][] = [
      [0, '3C670', 'icao24: expected 6 hex digits, got "3C670"'],
      [0, 3958019, 'icao24: expected 6 hex digits, got 3958019'],
      [1, 'DLH\u0000', 'callsign: expected text of at most 32 characters without NUL, or null'],
      [3, 1604921480.5, 'timePosition: expected whole Unix seconds, or null, got 1604921480.5'],
      [4, null, 'lastContact: expected whole Unix seconds, got null'],
      [4, -1, 'lastContact: expected whole Unix seconds, got -1'],
      [5, 180.1, 'longitude: expected a number from -180 to 180, or null, got 180.1'],
      [6, '48.3', 'latitude: expected a number from -90 to 90, or null, got "48.3"'],
      [7, 2e9, 'baroAltitude: expected a number from -1e9 to 1e9, or null, got 2000000000'],
      [8, null, 'onGround: expected true or false, got null'],
      [9, Number.NaN, 'velocity: expected a number from -1e9 to 1e9, or null, got NaN'],
      [10, Number.POSITIVE_INFINITY, 'trueTrack: expected a number from -1e9 to 1e9'],
      [11, [1], 'verticalRate: expected a number from -1e9 to 1e9, or null, got an array'],
      [13, {}, 'geoAltitude: expected a number from -1e9 to 1e9, or null, got an object'],
      [14, '123456789', 'squawk: expected text of at most 8 characters without NUL, or null'],
      [15, 0, 'spi: expected true, false or null, got 0'],
      [16, 4, 'positionSource: expected an integer from 0 to 3, or null, got 4'],
    ]
    for (const [index, value, message] of cases) {
      const row: unknown[] = [...ROW]
      row[index] = value
      const result = parseStateVector(row)
      expect(result.ok, message).toBe(false)
      const [field] = message.split(':')
      expect(result).toMatchObject({
        field,
        message: expect.stringContaining(message.slice(field!.length + 2)) as unknown,
      })
    }
  })

  it('accepts nulls where OpenSky sends them, and a longer text only up to its limit', () => {
    const row: unknown[] = [...ROW]
    for (const index of [1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, 16]) {
      row[index] = null
    }
    expect(parse(row)).toMatchObject({ callsign: null, latitude: null, spi: false })
    row[2] = 'x'.repeat(128)
    expect(parse(row).originCountry).toHaveLength(128)
    row[2] = 'x'.repeat(129)
    expect(parseStateVector(row)).toMatchObject({ ok: false, field: 'originCountry' })
  })

  it('drops a state whose last contact is far after its envelope time, which would freeze it', () => {
    const ahead = [...ROW]
    ahead[4] = 1604921490 + MAX_CONTACT_AHEAD_SECONDS + 1
    const parsed = parseStateRows({ time: 1604921490, states: [ROW, ahead] })
    expect(parsed.states).toHaveLength(1)
    expect(parsed.problems).toEqual([
      `states[1].lastContact: ${ahead[4]} is more than ${MAX_CONTACT_AHEAD_SECONDS} s after the envelope's time 1604921490`,
    ])
    ahead[4] = 1604921490 + MAX_CONTACT_AHEAD_SECONDS
    expect(parseStateRows({ time: 1604921490, states: [ahead] }).invalid).toBe(0)
  })

  it('refuses a callsign that upper-casing lengthens beyond the limit', () => {
    const row: unknown[] = [...ROW]
    row[1] = 'ß'.repeat(16)
    expect(parse(row).callsign).toBe('SS'.repeat(16))
    row[1] = 'ß'.repeat(17)
    expect(parseStateVector(row)).toMatchObject({ ok: false, field: 'callsign' })
  })

  it('treats states: null as an empty poll', () => {
    expect(parseStateRows({ time: 1, states: null })).toMatchObject({ states: [], invalid: 0 })
  })
})
