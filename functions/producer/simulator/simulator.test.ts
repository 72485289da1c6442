import { describe, expect, it } from 'vitest'

import { parseStateVector } from '../../../shared/opensky/state-vector.ts'
import { containsPosition, DACH_BBOX } from '../bbox.ts'
import { distanceMeters, initialBearing } from './geo.ts'
import { createSimulator, type OpenSkyStateRow } from './index.ts'

const EPOCH = 1_750_000_000

const byAddress = (rows: OpenSkyStateRow[]) => new Map(rows.map((row) => [row[0], row]))

function angleBetween(a: number, b: number): number {
  const difference = Math.abs(a - b) % 360
  return difference > 180 ? 360 - difference : difference
}

describe('simulator determinism', () => {
  it('gives identical output for the same seed, whatever was asked before', () => {
    const times = [EPOCH, EPOCH + 600, EPOCH + 7200, EPOCH + 30]
    const forward = createSimulator({ seed: 11, aircraft: 500, epoch: EPOCH })
    const shuffled = createSimulator({ seed: 11, aircraft: 500, epoch: EPOCH })
    const first = times.map((time) => forward.stateAt(time))
    const second = [...times]
      .reverse()
      .map((time) => shuffled.stateAt(time))
      .reverse()
    expect(second).toEqual(first)
    expect(first[0]!.states.length).toBeGreaterThan(100)
  })

  it('gives different traffic for another seed', () => {
    const one = createSimulator({ seed: 1, aircraft: 200, epoch: EPOCH }).stateAt(EPOCH)
    const two = createSimulator({ seed: 2, aircraft: 200, epoch: EPOCH }).stateAt(EPOCH)
    expect(two.states).not.toEqual(one.states)
  })

  it('steps its own clock with next()', () => {
    const simulator = createSimulator({ seed: 3, aircraft: 50, epoch: EPOCH, stepSeconds: 10 })
    expect(simulator.next().time).toBe(EPOCH)
    expect(simulator.next().time).toBe(EPOCH + 10)
  })
})

describe('simulator output format', () => {
  const simulator = createSimulator({ seed: 5, aircraft: 3000, epoch: EPOCH })
  const { time, states } = simulator.stateAt(EPOCH + 900)

  it('writes rows exactly like OpenSky with extended=1', () => {
    expect(time).toBe(EPOCH + 900)
    expect(new Set(states.map((row) => row[0])).size).toBe(states.length)
    for (const row of states) {
      expect(row).toHaveLength(18)
      expect(row[0]).toMatch(/^[0-9a-f]{6}$/)
      expect(row[1] === '' || /^[A-Z0-9]{2,8} *$/.test(row[1])).toBe(true)
      expect(row[1] === '' || row[1].length === 8).toBe(true)
      expect(typeof row[2]).toBe('string')
      expect(row[4]).toBeLessThanOrEqual(time)
      expect(row[4]).toBeGreaterThan(time - 300)
      if (row[3] !== null) {
        expect(row[3]).toBeLessThanOrEqual(row[4])
      }
      expect(row[12]).toBeNull()
      expect(row[14] === null || /^[0-7]{4}$/.test(row[14])).toBe(true)
      expect(row[15]).toBe(false)
      expect([0, 1, 2, 3]).toContain(row[16])
      expect(row[17]).toBeGreaterThanOrEqual(0)
      expect(row[17]).toBeLessThanOrEqual(20)
      expect(parseStateVector(row)).toMatchObject({ ok: true })
    }
  })

  it('has the quirks of real data: empty callsigns, missing squawks and positions, ground rows', () => {
    const share = (test: (row: OpenSkyStateRow) => boolean) =>
      states.filter(test).length / states.length
    expect(share((row) => row[1] === '')).toBeGreaterThan(0)
    expect(share((row) => row[1] === '')).toBeLessThan(0.04)
    expect(share((row) => row[14] === null)).toBeGreaterThan(0.2)
    expect(share((row) => row[5] === null)).toBeGreaterThan(0)
    expect(share((row) => row[5] === null)).toBeLessThan(0.03)
    expect(share((row) => row[8])).toBeGreaterThan(0.02)
    expect(share((row) => row[13] === null && row[7] !== null)).toBeGreaterThan(0.02)
    expect(share((row) => row[4] - (row[3] ?? row[4]) > 4)).toBeGreaterThan(0.01)
  })
})

describe('simulator realism', () => {
  const simulator = createSimulator({ seed: 9, aircraft: 4000, epoch: EPOCH })
  const snapshots = [0, 20, 3600, 3620].map((offset) => simulator.stateAt(EPOCH + offset))

  it('keeps positions in the box and speeds, altitudes and climb rates in flight envelopes', () => {
    let climbing = 0
    let descending = 0
    let cruising = 0
    for (const { states } of snapshots) {
      for (const row of states) {
        const [, , , , , lon, lat, altitude, onGround, velocity, , rate, , geoAltitude] = row
        if (lat !== null && lon !== null) {
          expect(containsPosition(DACH_BBOX, lat, lon)).toBe(true)
        }
        if (onGround) {
          expect(altitude).toBeNull()
          expect(rate).toBeNull()
          expect(velocity).toBeLessThanOrEqual(95)
          continue
        }
        expect(velocity).toBeGreaterThanOrEqual(25)
        expect(velocity).toBeLessThanOrEqual(270)
        expect(Math.abs(rate!)).toBeLessThanOrEqual(21)
        if (altitude !== null) {
          expect(altitude).toBeGreaterThan(-50)
          expect(altitude).toBeLessThan(13_500)
          if (geoAltitude !== null) {
            expect(geoAltitude - altitude).toBeGreaterThan(0)
            expect(geoAltitude - altitude).toBeLessThan(250)
          }
          // Jets cruise high and fast; nobody flies 200 m/s low.
          if (velocity! > 180) {
            expect(altitude).toBeGreaterThan(1500)
          }
        }
        climbing += rate! > 0 ? 1 : 0
        descending += rate! < 0 ? 1 : 0
        cruising += rate === 0 ? 1 : 0
      }
    }
    expect(climbing).toBeGreaterThan(50)
    expect(descending).toBeGreaterThan(50)
    expect(cruising).toBeGreaterThan(50)
  })

  it('moves aircraft along their great circle at their ground speed', () => {
    const before = snapshots[0]!.states
    const after = byAddress(snapshots[1]!.states)
    let checked = 0
    for (const first of before) {
      const second = after.get(first[0])
      // cruising in both snapshots: constant speed and level, so the check is exact
      if (
        !second ||
        first[11] !== 0 ||
        second[11] !== 0 ||
        first[5] === null ||
        second[5] === null
      ) {
        continue
      }
      const seconds = second[3]! - first[3]!
      if (seconds < 10) {
        continue
      }
      const from = { lat: first[6]!, lon: first[5] }
      const to = { lat: second[6]!, lon: second[5] }
      const expected = first[9]! * seconds
      expect(Math.abs(distanceMeters(from, to) - expected)).toBeLessThan(0.02 * expected + 30)
      expect(angleBetween(initialBearing(from, to), first[10]!)).toBeLessThan(1.5)
      expect(second[7]).toBe(first[7])
      checked++
    }
    expect(checked).toBeGreaterThan(100)
  })

  it('changes altitude at the reported vertical rate', () => {
    const before = snapshots[0]!.states
    const after = byAddress(snapshots[1]!.states)
    let checked = 0
    for (const first of before) {
      const second = after.get(first[0])
      if (!second || first[7] === null || second[7] === null || first[11] === null) {
        continue
      }
      // same phase: climbing or descending at one rate in both snapshots
      if (first[11] === 0 || second[11] !== first[11]) {
        continue
      }
      const seconds = second[3]! - first[3]!
      if (seconds < 10) {
        continue
      }
      const observed = (second[7] - first[7]) / seconds
      // altitudes come in 25 ft steps, so allow one step over the interval
      expect(Math.abs(observed - first[11])).toBeLessThan(0.2 + 7.62 / seconds)
      checked++
    }
    expect(checked).toBeGreaterThan(50)
  })

  it('lets aircraft appear and disappear, without ever listing one twice', () => {
    const early = byAddress(snapshots[0]!.states)
    const late = byAddress(snapshots[2]!.states)
    const gone = [...early.keys()].filter((address) => !late.has(address))
    const arrived = [...late.keys()].filter((address) => !early.has(address))
    expect(gone.length).toBeGreaterThan(early.size * 0.2)
    expect(arrived.length).toBeGreaterThan(late.size * 0.2)
    for (const { states } of snapshots) {
      expect(byAddress(states).size).toBe(states.length)
    }
  })

  it('scales to 20,000 aircraft, more than half of them reported without a box', () => {
    const large = createSimulator({ seed: 1, aircraft: 20_000, bbox: null, epoch: EPOCH })
    const { states } = large.stateAt(EPOCH)
    expect(states.length).toBeGreaterThan(10_000)
    expect(new Set(states.map((row) => row[0])).size).toBe(states.length)
  })
})
