import { describe, expect, it } from 'vitest'

import { BadRequestError } from '../../shared/http/errors.ts'
import { encodeCursor, flightsQuerySchema, liveQuerySchema, parseQuery } from './query.ts'

describe('dashboard query parameters', () => {
  it('round-trips a paging cursor with microseconds intact', () => {
    const key = {
      startTime: '2026-05-01 10:00:00.123456+00',
      flightUuid: '0f8fad5b-d9cb-469f-a165-70867728950e',
    }
    const parsed = parseQuery(flightsQuerySchema, { cursor: encodeCursor(key) })
    expect(parsed.cursor).toEqual(key)
  })

  it('rejects a cursor whose time is not a timestamp, so nothing odd reaches SQL', () => {
    const forged = Buffer.from(
      JSON.stringify(["now'); DROP TABLE x; --", '0f8fad5b-d9cb-469f-a165-70867728950e'])
    ).toString('base64url')
    expect(() => parseQuery(flightsQuerySchema, { cursor: forged })).toThrow(/cursor/)
  })

  it.each([
    '2026-13-45 99:99:99+00',
    '2026-02-30 10:00:00+00',
    '2025-02-29 10:00:00+00',
    '2026-05-01 24:00:00+00',
    '2026-05-01 10:60:00+00',
    '2026-05-01 10:00:00+99',
    '2026-05-01 10:00:00+05:60',
    '0000-01-01 00:00:00+00',
    '2026-05-01 10:00:00',
    '2026-05-01T10:00:00+00',
  ])('rejects a cursor whose time %s PostgreSQL would not read', (startTime) => {
    const forged = encodeCursor({ startTime, flightUuid: '0f8fad5b-d9cb-469f-a165-70867728950e' })
    expect(() => parseQuery(flightsQuerySchema, { cursor: forged })).toThrow(
      /cursor: is not a cursor returned by this API/
    )
  })

  it.each([
    '2024-02-29 23:59:59.999999+00',
    '2026-05-01 10:00:00+05:30',
    '2026-05-01 10:00:00-03',
    '0001-01-01 00:00:00+14',
    '9999-12-31 23:59:59-12',
  ])('accepts a cursor time PostgreSQL writes, such as %s', (startTime) => {
    const key = { startTime, flightUuid: '0f8fad5b-d9cb-469f-a165-70867728950e' }
    expect(parseQuery(flightsQuerySchema, { cursor: encodeCursor(key) }).cursor).toEqual(key)
  })

  it('rejects a cursor whose flight id is not a uuid', () => {
    const forged = encodeCursor({ startTime: '2026-05-01 10:00:00+00', flightUuid: 'f00' })
    expect(() => parseQuery(flightsQuerySchema, { cursor: forged })).toThrow(/cursor/)
  })

  it.each([
    ['from', '253402300800'],
    ['from', '999999999999'],
    ['to', '9999-12-31T23:59:59-00:01'],
    ['to', '0000-12-31T23:59:59Z'],
    ['from', '2026-02-30T00:00:00Z'],
  ])('rejects %s=%s outside the calendar or the years 0001 to 9999', (name, value) => {
    expect(() => parseQuery(flightsQuerySchema, { [name]: value })).toThrow(new RegExp(`${name}:`))
  })

  it('accepts the last second of the year 9999 as Unix seconds', () => {
    expect(parseQuery(flightsQuerySchema, { to: '253402300799' }).to?.text).toBe(
      '9999-12-31T23:59:59.000Z'
    )
  })

  it('defaults the limit and normalises callsign and icao24', () => {
    expect(parseQuery(flightsQuerySchema, { callsign: ' dlh4 ', icao24: '3C6703' })).toEqual({
      callsign: 'DLH4',
      icao24: '3c6703',
      limit: 50,
    })
  })

  it('reads times as ISO 8601 with an offset or as Unix seconds', () => {
    const parsed = parseQuery(flightsQuerySchema, {
      from: '2026-05-01T12:00:00+02:00',
      to: '1777640400',
    })
    expect(parsed.from).toEqual({ text: '2026-05-01T10:00:00.000Z', micros: 1777629600000000n })
    expect(parsed.to).toEqual({ text: '2026-05-01T13:00:00.000Z', micros: 1777640400000000n })
    expect(() => parseQuery(flightsQuerySchema, { from: '2026-05-01T12:00:00' })).toThrow(/from/)
  })

  it('keeps microseconds, which PostgreSQL stores and a Date would cut', () => {
    const parsed = parseQuery(flightsQuerySchema, {
      from: '2026-05-01T10:00:00.0001Z',
      to: '2026-05-01T10:00:00.000101Z',
    })
    expect(parsed.from).toEqual({ text: '2026-05-01T10:00:00.0001Z', micros: 1777629600000100n })
    expect(parseQuery(flightsQuerySchema, { from: '1969-12-31T23:59:59.9995-20:00' }).from).toEqual(
      { text: '1970-01-01T19:59:59.9995Z', micros: 71999999500n }
    )
    expect(parsed.to?.micros).toBe(1777629600000101n)
    expect(() =>
      parseQuery(flightsQuerySchema, {
        from: '2026-05-01T10:00:00.000101Z',
        to: '2026-05-01T10:00:00.0001Z',
      })
    ).toThrow(/to: must be later than from/)
    expect(() => parseQuery(flightsQuerySchema, { from: '2026-05-01T10:00:00.0000001Z' })).toThrow(
      /from: .*at most 6 decimals/
    )
  })

  it('accepts the longest callsign the processor stores, and any case', () => {
    expect(parseQuery(flightsQuerySchema, { callsign: 'x'.repeat(32) }).callsign).toBe(
      'X'.repeat(32)
    )
    expect(() => parseQuery(flightsQuerySchema, { callsign: 'x'.repeat(33) })).toThrow(
      /callsign: must be at most 32 characters/
    )
    expect(() => parseQuery(flightsQuerySchema, { callsign: 'DLH\u0007' })).toThrow(
      /callsign: must not contain control characters/
    )
  })

  it('names every bad parameter in one 400', () => {
    try {
      parseQuery(flightsQuerySchema, { limit: '0', icao24: 'xyz', colour: 'red' })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequestError)
      const message = (err as BadRequestError).message
      expect(message).toContain('limit: must be at least 1')
      expect(message).toContain('icao24: must be 6 hexadecimal digits')
      expect(message).toContain('unknown query parameter colour')
      expect((err as BadRequestError).status).toBe(400)
    }
  })

  it.each([
    ',,,',
    '0,0,,10',
    '500,0,-500,10',
    '0,0,-181,10',
    '0x10,0,20,10',
    '1e1,0,20,10',
    '-,0,1,1',
  ])('rejects bbox=%s: every part a decimal number of degrees in range', (bbox) => {
    expect(() => parseQuery(liveQuerySchema, { bbox })).toThrow(/bbox: must be/)
  })

  it('parses a bounding box in GeoJSON order, also across the antimeridian', () => {
    expect(parseQuery(liveQuerySchema, { bbox: '170,-20,-170,10' }).bbox).toEqual({
      west: 170,
      south: -20,
      east: -170,
      north: 10,
    })
    expect(parseQuery(liveQuerySchema, { bbox: ' -180, -90.0, 180 ,+90' }).bbox).toEqual({
      west: -180,
      south: -90,
      east: 180,
      north: 90,
    })
    expect(() => parseQuery(liveQuerySchema, { bbox: '0,0,10,100' })).toThrow(/bbox/)
    expect(() => parseQuery(liveQuerySchema, { bbox: ['0,0,1,1', '0,0,2,2'] })).toThrow(
      /at most once/
    )
  })
})
