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
    expect(parsed.from?.toISOString()).toBe('2026-05-01T10:00:00.000Z')
    expect(parsed.to?.toISOString()).toBe('2026-05-01T13:00:00.000Z')
    expect(() => parseQuery(flightsQuerySchema, { from: '2026-05-01T12:00:00' })).toThrow(/from/)
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

  it('parses a bounding box in GeoJSON order, also across the antimeridian', () => {
    expect(parseQuery(liveQuerySchema, { bbox: '170,-20,-170,10' }).bbox).toEqual({
      west: 170,
      south: -20,
      east: -170,
      north: 10,
    })
    expect(() => parseQuery(liveQuerySchema, { bbox: '0,0,10,100' })).toThrow(/bbox/)
    expect(() => parseQuery(liveQuerySchema, { bbox: ['0,0,1,1', '0,0,2,2'] })).toThrow(
      /at most once/
    )
  })
})
