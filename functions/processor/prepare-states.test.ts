import { describe, expect, it } from 'vitest'

import { parseStateVector } from '../../shared/opensky/state-vector.ts'
import { prepareStates } from './prepare-states.ts'

function vector(
  icao24: string,
  lastContact: number,
  extra: { lat?: number | null; timePosition?: number | null } = {}
) {
  const result = parseStateVector([
    icao24,
    'TEST1   ',
    'Austria',
    extra.timePosition === undefined ? lastContact : extra.timePosition,
    lastContact,
    16.5,
    extra.lat === undefined ? 48.1 : extra.lat,
    1000,
    false,
    100,
    90,
    5,
    null,
    1050,
    '7700',
    false,
    0,
  ])
  if (!result.ok) {
    throw new Error(result.message)
  }
  return result.state
}

describe('prepareStates', () => {
  it('converts m/s to km/h and keeps metres', () => {
    const [state] = prepareStates([vector('abcdef', 100)]).states
    expect(state?.velocityKmh).toBe(360)
    expect(state?.altitude).toBe(1000)
    expect(state?.squawk).toBe('7700')
  })

  it('drops states without position', () => {
    const prepared = prepareStates([vector('abcdef', 100, { lat: null }), vector('abcde0', 100)])
    expect(prepared.droppedNoPosition).toBe(1)
    expect(prepared.states.map((s) => s.icao24)).toEqual(['abcde0'])
  })

  it('keeps the newest state of an aircraft that appears twice, whatever the order', () => {
    for (const order of [
      [1, 3, 2],
      [3, 2, 1],
    ]) {
      const prepared = prepareStates(order.map((t) => vector('abcdef', t)))
      expect(prepared.states.map((s) => s.lastContact)).toEqual([3])
      expect(prepared.droppedDuplicate).toBe(2)
    }
  })
})
