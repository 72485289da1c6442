import { describe, expect, it } from 'vitest'

import { destinationPoint, distanceMeters, greatCircle, initialBearing, pointAt } from './geo.ts'

const FRA = { lat: 50.0333, lon: 8.5706 }
const MUC = { lat: 48.3538, lon: 11.7861 }
const JFK = { lat: 40.6413, lon: -73.7781 }

describe('great-circle geometry', () => {
  it('measures known distances', () => {
    expect(distanceMeters(FRA, MUC) / 1000).toBeCloseTo(299, 0)
    // Frankfurt to New York is about 6,200 km (3,340 NM)
    expect(distanceMeters(FRA, JFK) / 1000).toBeGreaterThan(6150)
    expect(distanceMeters(FRA, JFK) / 1000).toBeLessThan(6250)
  })

  it('starts a westbound transatlantic great circle north of west', () => {
    const bearing = initialBearing(FRA, JFK)
    expect(bearing).toBeGreaterThan(290)
    expect(bearing).toBeLessThan(300)
    expect(initialBearing(MUC, FRA)).toBeGreaterThan(300) // north-west
  })

  it('interpolates along the great circle, not the rhumb line', () => {
    const circle = greatCircle(FRA, JFK)
    expect(pointAt(circle, 0).lat).toBeCloseTo(FRA.lat, 6)
    expect(pointAt(circle, 1).lon).toBeCloseTo(JFK.lon, 6)
    const middle = pointAt(circle, 0.5)
    // the great circle bulges north of both ends
    expect(middle.lat).toBeGreaterThan(FRA.lat + 2)
    expect(distanceMeters(FRA, middle)).toBeCloseTo(distanceMeters(middle, JFK), -2)
  })

  it('goes a distance on a course and back', () => {
    const there = destinationPoint(FRA, 123, 50_000)
    expect(distanceMeters(FRA, there)).toBeCloseTo(50_000, 0)
    expect(initialBearing(FRA, there)).toBeCloseTo(123, 3)
  })
})
