import type { Airport } from './airports.ts'
import type { AircraftClass } from './fleet.ts'
import {
  destinationPoint,
  EARTH_RADIUS_M,
  type GreatCircle,
  greatCircle,
  initialBearing,
  type LatLon,
  pointAt,
} from './geo.ts'
import type { Random } from './random.ts'

/** Seconds of acceleration on the runway before lift-off, and of deceleration after touchdown. */
const TAKEOFF_ROLL_S = 35
const LANDING_ROLL_S = 30
/** Part of the airborne distance kept for cruise when a short route forces a lower level. */
const MIN_CRUISE_SHARE = 0.2
const FEET = 0.3048

/** The plan of one leg: when each phase starts and how the aircraft moves in it. */
export interface LegPlan {
  origin: Airport
  destination: Airport
  /** Great-circle distance between the two airports, metres. */
  distance: number
  route: GreatCircle
  /** The course flown at the destination, degrees. */
  arrivalTrack: number
  /** Where taxi-out starts and taxi-in ends (a stand near the airport reference point). */
  startStand: LatLon
  endStand: LatLon
  taxiOutTrack: number
  taxiInTrack: number
  taxiOutSpeed: number
  taxiInSpeed: number
  liftoffSpeed: number
  cruiseSpeed: number
  approachSpeed: number
  cruiseAltitude: number
  climbRate: number
  descentRate: number
  /** Seconds from the leg's start to the end of each phase. */
  phaseEnds: {
    taxiOut: number
    takeoffRoll: number
    climb: number
    cruise: number
    descent: number
    landingRoll: number
    taxiIn: number
  }
  /** Along-track distances (metres from the origin) at the end of each airborne phase. */
  distanceAt: { takeoffRoll: number; climb: number; cruise: number; descent: number }
}

/** Where an aircraft is and how it moves at one instant of its leg. */
export interface Kinematics {
  lat: number
  lon: number
  onGround: boolean
  /** Barometric altitude in metres, null on the ground (as OpenSky reports surface positions). */
  altitude: number | null
  /** Ground speed, m/s. */
  velocity: number
  /** True track, degrees clockwise from north. */
  track: number
  /** m/s, positive climbing; null on the ground. */
  verticalRate: number | null
}

/** Plans a leg from `origin` to `destination` for an aircraft of class `cls`. */
export function planLeg(
  origin: Airport,
  destination: Airport,
  cls: AircraftClass,
  random: Random
): LegPlan {
  const route = greatCircle(origin, destination)
  const distance = route.angle * EARTH_RADIUS_M
  const taxiOutSpeed = random.between(...cls.taxiSpeed)
  const taxiInSpeed = random.between(...cls.taxiSpeed)
  const liftoffSpeed = random.between(...cls.liftoffSpeed)
  const approachSpeed = random.between(...cls.approachSpeed)
  const climbRate = random.between(...cls.climbRate)
  const descentRate = random.between(...cls.descentRate)
  const plannedSpeed = random.between(...cls.cruiseSpeed)
  // Flight levels: whole thousands of feet.
  const plannedAltitude =
    Math.round(random.between(...cls.cruiseAltitude) / (1000 * FEET)) * 1000 * FEET

  const takeoffRollDistance = (liftoffSpeed / 2) * TAKEOFF_ROLL_S
  const landingRollDistance = ((approachSpeed + taxiInSpeed) / 2) * LANDING_ROLL_S
  const airborneDistance = Math.max(distance - takeoffRollDistance - landingRollDistance, 1000)

  // Short legs fly lower (and slower) so that climb and descent leave room for some cruise.
  let cruiseAltitude = plannedAltitude
  let cruiseSpeed = plannedSpeed
  for (let pass = 0; pass < 3; pass++) {
    const climbPerMetre = (liftoffSpeed + cruiseSpeed) / (2 * climbRate)
    const descentPerMetre = (cruiseSpeed + approachSpeed) / (2 * descentRate)
    const fitting =
      ((1 - MIN_CRUISE_SHARE) * airborneDistance +
        climbPerMetre * origin.elevation +
        descentPerMetre * destination.elevation) /
      (climbPerMetre + descentPerMetre)
    const floor = Math.max(origin.elevation, destination.elevation) + 300
    cruiseAltitude = Math.max(floor, Math.min(plannedAltitude, fitting))
    const heightShare = Math.min(1, cruiseAltitude / plannedAltitude)
    cruiseSpeed = Math.max(liftoffSpeed + 5, plannedSpeed * (0.65 + 0.35 * heightShare))
  }

  const climbTime = (cruiseAltitude - origin.elevation) / climbRate
  const descentTime = (cruiseAltitude - destination.elevation) / descentRate
  const climbDistance = ((liftoffSpeed + cruiseSpeed) / 2) * climbTime
  const descentDistance = ((cruiseSpeed + approachSpeed) / 2) * descentTime
  const cruiseDistance = Math.max(0, airborneDistance - climbDistance - descentDistance)
  const cruiseTime = cruiseDistance / cruiseSpeed

  const taxiOutTime = random.between(180, 540)
  const taxiInTime = random.between(120, 360)
  const startStand = destinationPoint(origin, random.between(0, 360), taxiOutSpeed * taxiOutTime)
  const endStand = destinationPoint(destination, random.between(0, 360), taxiInSpeed * taxiInTime)

  const taxiOut = taxiOutTime
  const takeoffRoll = taxiOut + TAKEOFF_ROLL_S
  const climb = takeoffRoll + climbTime
  const cruise = climb + cruiseTime
  const descent = cruise + descentTime
  const landingRoll = descent + LANDING_ROLL_S
  const taxiIn = landingRoll + taxiInTime
  const climbEnd = takeoffRollDistance + climbDistance
  const cruiseEnd = climbEnd + cruiseDistance
  return {
    origin,
    destination,
    distance,
    route,
    arrivalTrack: (initialBearing(destination, origin) + 180) % 360,
    startStand,
    endStand,
    taxiOutTrack: initialBearing(startStand, origin),
    taxiInTrack: initialBearing(destination, endStand),
    taxiOutSpeed,
    taxiInSpeed,
    liftoffSpeed,
    cruiseSpeed,
    approachSpeed,
    cruiseAltitude,
    climbRate,
    descentRate,
    phaseEnds: { taxiOut, takeoffRoll, climb, cruise, descent, landingRoll, taxiIn },
    distanceAt: {
      takeoffRoll: takeoffRollDistance,
      climb: climbEnd,
      cruise: cruiseEnd,
      descent: cruiseEnd + descentDistance,
    },
  }
}

/**
 * The aircraft's state `elapsed` seconds after the leg started (clamped to the leg). Speeds ramp
 * linearly within a phase, so the along-track distance is the integral of the speed and the
 * altitude the integral of the constant vertical rate: position, speed and climb agree.
 */
export function kinematicsAt(leg: LegPlan, elapsed: number): Kinematics {
  const ends = leg.phaseEnds
  const t = Math.min(Math.max(elapsed, 0), ends.taxiIn)
  if (t < ends.taxiOut) {
    return taxiing(leg.startStand, leg.origin, t / ends.taxiOut, leg.taxiOutSpeed, leg.taxiOutTrack)
  }
  if (t >= ends.landingRoll) {
    const share = (t - ends.landingRoll) / (ends.taxiIn - ends.landingRoll)
    return taxiing(leg.destination, leg.endStand, share, leg.taxiInSpeed, leg.taxiInTrack)
  }
  if (t < ends.takeoffRoll) {
    const tau = t - ends.taxiOut
    const span = ends.takeoffRoll - ends.taxiOut
    const speed = leg.liftoffSpeed * (tau / span)
    return along(leg, (speed / 2) * tau, speed, true, null, null)
  }
  if (t < ends.climb) {
    const tau = t - ends.takeoffRoll
    const span = ends.climb - ends.takeoffRoll
    const gain = (leg.cruiseSpeed - leg.liftoffSpeed) / span
    const s = leg.distanceAt.takeoffRoll + leg.liftoffSpeed * tau + (gain * tau * tau) / 2
    const altitude = leg.origin.elevation + leg.climbRate * tau
    return along(leg, s, leg.liftoffSpeed + gain * tau, false, altitude, leg.climbRate)
  }
  if (t < ends.cruise) {
    const s = leg.distanceAt.climb + leg.cruiseSpeed * (t - ends.climb)
    return along(leg, s, leg.cruiseSpeed, false, leg.cruiseAltitude, 0)
  }
  if (t < ends.descent) {
    const tau = t - ends.cruise
    const span = ends.descent - ends.cruise
    const loss = (leg.cruiseSpeed - leg.approachSpeed) / span
    const s = leg.distanceAt.cruise + leg.cruiseSpeed * tau - (loss * tau * tau) / 2
    const altitude = leg.cruiseAltitude - leg.descentRate * tau
    return along(leg, s, leg.cruiseSpeed - loss * tau, false, altitude, -leg.descentRate)
  }
  const tau = t - ends.descent
  const span = ends.landingRoll - ends.descent
  const loss = (leg.approachSpeed - leg.taxiInSpeed) / span
  const s = leg.distanceAt.descent + leg.approachSpeed * tau - (loss * tau * tau) / 2
  return along(leg, s, leg.approachSpeed - loss * tau, true, null, null)
}

function along(
  leg: LegPlan,
  distanceFromOrigin: number,
  velocity: number,
  onGround: boolean,
  altitude: number | null,
  verticalRate: number | null
): Kinematics {
  const fraction = Math.min(Math.max(distanceFromOrigin / leg.distance, 0), 1)
  const position = pointAt(leg.route, fraction)
  // Near the destination the course to it is undefined; use the arrival course instead.
  const track =
    leg.distance - distanceFromOrigin > 200
      ? initialBearing(position, leg.destination)
      : leg.arrivalTrack
  return { lat: position.lat, lon: position.lon, onGround, altitude, velocity, track, verticalRate }
}

function taxiing(
  from: LatLon,
  to: LatLon,
  share: number,
  speed: number,
  track: number
): Kinematics {
  // Taxi paths are a few kilometres: a straight line in degrees is exact enough.
  return {
    lat: from.lat + (to.lat - from.lat) * share,
    lon: from.lon + (to.lon - from.lon) * share,
    onGround: true,
    altitude: null,
    velocity: speed,
    track,
    verticalRate: null,
  }
}
