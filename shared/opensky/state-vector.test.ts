import { describe, expect, it } from 'vitest'

import { parseStateRows, parseStateVector } from './state-vector.ts'

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

  it('maps an empty callsign to null', () => {
    const row = [...ROW]
    row[1] = '        '
    expect(parse(row).callsign).toBeNull()
  })

  it('counts invalid rows and keeps the valid ones', () => {
    const tooShort = ROW.slice(0, 16)
    const badLatitude = [...ROW]
    badLatitude[6] = 91
    const parsed = parseStateRows({ time: 1, states: [ROW, tooShort, badLatitude, null] })
    expect(parsed.states).toHaveLength(1)
    expect(parsed.invalid).toBe(3)
    expect(parsed.problems).toEqual([
      'states[1]: not an array of at least 17 fields',
      expect.stringMatching(/^states\[2\]\.latitude: /) as unknown,
      'states[3]: not an array of at least 17 fields',
    ])
  })

  it('treats states: null as an empty poll', () => {
    expect(parseStateRows({ time: 1, states: null })).toMatchObject({ states: [], invalid: 0 })
  })
})
