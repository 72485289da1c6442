// Spherical-earth geometry for great-circle flight paths. A sphere is accurate to about 0.5 %
// against WGS-84, which is far below what a simulated flight or a plausibility test can notice.

/** Mean earth radius in metres (IUGG). */
export const EARTH_RADIUS_M = 6_371_008.8

const DEG = Math.PI / 180

export interface LatLon {
  lat: number
  lon: number
}

/** Great-circle distance in metres (haversine, stable for short distances). */
export function distanceMeters(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * DEG
  const dLon = (b.lon - a.lon) * DEG
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * DEG) * Math.cos(b.lat * DEG) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Initial true course from a to b, degrees clockwise from north in [0, 360). */
export function initialBearing(a: LatLon, b: LatLon): number {
  const lat1 = a.lat * DEG
  const lat2 = b.lat * DEG
  const dLon = (b.lon - a.lon) * DEG
  const y = Math.sin(dLon) * Math.cos(lat2)
  const x = Math.cos(lat1) * Math.sin(lat2) - Math.sin(lat1) * Math.cos(lat2) * Math.cos(dLon)
  return (Math.atan2(y, x) / DEG + 360) % 360
}

/** A great circle between two points, prepared for many interpolations. */
export interface GreatCircle {
  from: LatLon
  to: LatLon
  /** Central angle in radians. */
  angle: number
  sinAngle: number
  fromVector: [number, number, number]
  toVector: [number, number, number]
}

export function greatCircle(from: LatLon, to: LatLon): GreatCircle {
  const angle = distanceMeters(from, to) / EARTH_RADIUS_M
  return {
    from,
    to,
    angle,
    sinAngle: Math.sin(angle),
    fromVector: unitVector(from),
    toVector: unitVector(to),
  }
}

/** The point at `fraction` (0..1) of a great circle (spherical linear interpolation). */
export function pointAt(circle: GreatCircle, fraction: number): LatLon {
  if (circle.angle < 1e-12) {
    return { lat: circle.from.lat, lon: circle.from.lon }
  }
  const wa = Math.sin((1 - fraction) * circle.angle) / circle.sinAngle
  const wb = Math.sin(fraction * circle.angle) / circle.sinAngle
  const [ax, ay, az] = circle.fromVector
  const [bx, by, bz] = circle.toVector
  const x = wa * ax + wb * bx
  const y = wa * ay + wb * by
  const z = wa * az + wb * bz
  return { lat: Math.atan2(z, Math.sqrt(x * x + y * y)) / DEG, lon: Math.atan2(y, x) / DEG }
}

function unitVector(point: LatLon): [number, number, number] {
  const lat = point.lat * DEG
  const lon = point.lon * DEG
  return [Math.cos(lat) * Math.cos(lon), Math.cos(lat) * Math.sin(lon), Math.sin(lat)]
}

/** The point `distance` metres from `origin` on the initial course `bearing` (degrees). */
export function destinationPoint(origin: LatLon, bearing: number, distance: number): LatLon {
  const angle = distance / EARTH_RADIUS_M
  const course = bearing * DEG
  const lat1 = origin.lat * DEG
  const lon1 = origin.lon * DEG
  const lat2 = Math.asin(
    Math.sin(lat1) * Math.cos(angle) + Math.cos(lat1) * Math.sin(angle) * Math.cos(course)
  )
  const lon2 =
    lon1 +
    Math.atan2(
      Math.sin(course) * Math.sin(angle) * Math.cos(lat1),
      Math.cos(angle) - Math.sin(lat1) * Math.sin(lat2)
    )
  return { lat: lat2 / DEG, lon: ((lon2 / DEG + 540) % 360) - 180 }
}
