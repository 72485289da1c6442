import { describe, expect, it } from 'vitest'

import type { LiveResponse } from '../api-types.ts'
import { altitudeBand } from './colors.ts'
import { Fleet, mercatorX, mercatorY } from './fleet.ts'
import {
  formatAge,
  formatAltitude,
  formatSpeed,
  formatVerticalRate,
  utcInputToIso,
} from './format.ts'
import { blitSprite, rotationIndex, ROTATIONS, type SpriteSheet } from './sprites.ts'

function live(columns: Partial<LiveResponse['columns']>): LiveResponse {
  const base: LiveResponse['columns'] = {
    icao24: ['3c6703', '4a09ab'],
    callsign: ['DLH453', null],
    originCountry: ['Germany', 'Romania'],
    lat: [48.3374, 0],
    lon: [11.7085, 0],
    altitude: [541, null],
    velocityKmh: [231, null],
    heading: [83, null],
    onGround: [0, 1],
    squawk: ['7700', null],
  }
  return {
    time: '2026-05-01T12:00:00Z',
    newestContact: null,
    count: 2,
    columns: { ...base, ...columns },
  }
}

describe('dashboard client', () => {
  it('projects like Leaflet’s Web Mercator: equator in the middle, clamped poles', () => {
    expect(mercatorX(-180)).toBe(0)
    expect(mercatorX(180)).toBe(1)
    expect(mercatorY(0)).toBeCloseTo(0.5, 12)
    expect(mercatorY(85.0511287798)).toBeCloseTo(0, 9)
    expect(mercatorY(90)).toBeCloseTo(0, 9)
    expect(mercatorY(-90)).toBeCloseTo(1, 9)
  })

  it('decodes /api/live columns, with unknowns as NaN and emergencies flagged', () => {
    const fleet = new Fleet(live({}))
    expect(fleet.count).toBe(2)
    expect(fleet.indexOf('4a09ab')).toBe(1)
    expect(fleet.indexOf('ffffff')).toBe(-1)
    expect(Number.isNaN(fleet.altitude[1])).toBe(true)
    expect(Array.from(fleet.emergency)).toEqual([1, 0])
    expect(Array.from(fleet.band)).toEqual([1, -1])
    expect(fleet.label(0)).toBe('DLH453')
    expect(fleet.label(1)).toBe('4a09ab')
    expect(fleet.y[1]).toBeCloseTo(0.5, 12)
  })

  it('gives the box around its aircraft, to open the map on them', () => {
    const fleet = new Fleet(live({ lat: [55.1, 45.8], lon: [5.9, 17.2] }))
    expect(fleet.bounds()).toEqual([
      [45.8, 5.9],
      [55.1, 17.2],
    ])
    expect(Fleet.empty().bounds()).toBeNull()
  })

  it('refuses columns of different lengths', () => {
    expect(() => new Fleet(live({ lat: [1] }))).toThrow(/lat has 1 values, expected 2/)
  })

  it('bands altitudes from warm (low) to cool (high)', () => {
    expect(altitudeBand(Number.NaN)).toBe(-1)
    expect(altitudeBand(-30)).toBe(0)
    expect(altitudeBand(500)).toBe(1)
    expect(altitudeBand(12_000)).toBe(7)
    expect(altitudeBand(20_000)).toBe(8)
  })

  it('formats units for people', () => {
    expect(formatAltitude(10_668)).toBe('35,000 ft (10,668 m)')
    expect(formatAltitude(null)).toBe('–')
    expect(formatSpeed(833.4)).toBe('833 km/h (450 kt)')
    expect(formatVerticalRate(-5.08)).toBe('-1,000 ft/min (-5.1 m/s)')
    expect(formatVerticalRate(2)).toBe('+394 ft/min (+2 m/s)')
    expect(formatAge(42)).toBe('42 s ago')
    expect(formatAge(600)).toBe('10 min ago')
    expect(utcInputToIso('2026-05-01T12:30')).toBe('2026-05-01T12:30:00Z')
    expect(utcInputToIso('')).toBeUndefined()
  })

  it('maps headings to sprite rotations', () => {
    expect(rotationIndex(0)).toBe(0)
    expect(rotationIndex(359)).toBe(0)
    expect(rotationIndex(90)).toBe(ROTATIONS / 4)
    expect(rotationIndex(-90)).toBe((ROTATIONS * 3) / 4)
    expect(rotationIndex(Number.NaN)).toBe(0)
  })

  it('blits sprites clipped to the frame and blends edges over what is below', () => {
    const start = new Int32Array(ROTATIONS + 1).fill(3)
    start[0] = 0
    const sheet: SpriteSheet = {
      start,
      dx: Int16Array.from([0, 1, -1]),
      dy: Int16Array.from([0, 0, 0]),
      color: Uint32Array.from([0xff0000ff, 0x800000ff, 0xff00ff00]),
    }
    const frame = new Uint32Array(4 * 2)
    frame[1] = 0xffff0000 // opaque blue under the half-transparent red pixel
    blitSprite(frame, 4, 2, sheet, 0, 0, 0)
    expect(frame[0]).toBe(0xff0000ff) // centre, opaque red
    const blended = frame[1]
    expect(blended >>> 24).toBe(255)
    expect(blended & 255).toBeGreaterThan(100) // some red
    expect((blended >>> 16) & 255).toBeGreaterThan(100) // some blue left
    expect(Array.from(frame.slice(2))).toEqual([0, 0, 0, 0, 0, 0]) // dx -1 was clipped
  })
})
