/**
 * Synthetic OpenSky traffic: aircraft fly legs between real airports along great circles, taxi,
 * take off, climb, cruise, descend, land, vanish at the stand and reappear for the next leg. The
 * output is exactly an OpenSky `/states/all?extended=1` response (18 fields per row), filtered to
 * the bounding box like OpenSky does. Deterministic: the same seed, aircraft count and epoch give
 * identical rows for the same time, whatever was asked before.
 *
 *   const simulator = createSimulator({ seed: 42, aircraft: 20_000, bbox: null })
 *   const { time, states } = simulator.stateAt(1_750_000_000)
 */
import { type BoundingBox, containsPosition, DACH_BBOX } from '../bbox.ts'
import { type Airport, AIRPORTS } from './airports.ts'
import {
  ADDRESS_BLOCKS,
  AIRCRAFT_CLASSES,
  type AircraftClass,
  type Operator,
  OPERATORS,
} from './fleet.ts'
import { kinematicsAt, type LegPlan, planLeg } from './flight.ts'
import { distanceMeters } from './geo.ts'
import { mix32, Random } from './random.ts'

/** One OpenSky state vector with `extended=1`: 18 positional fields. */
export type OpenSkyStateRow = [
  icao24: string,
  callsign: string,
  originCountry: string,
  timePosition: number | null,
  lastContact: number,
  longitude: number | null,
  latitude: number | null,
  baroAltitude: number | null,
  onGround: boolean,
  velocity: number | null,
  trueTrack: number | null,
  verticalRate: number | null,
  sensors: null,
  geoAltitude: number | null,
  squawk: string | null,
  spi: boolean,
  positionSource: number,
  category: number,
]

export interface SimulatedStates {
  time: number
  states: OpenSkyStateRow[]
}

export interface SimulatorOptions {
  seed: number
  /** Aircraft in the simulated fleet; about 70 % are in the air or taxiing at any moment. */
  aircraft: number
  /** Only aircraft inside this box are reported (default DACH); null reports everyone. */
  bbox?: BoundingBox | null
  /** Unix seconds when the traffic is already in full swing (default: now). */
  epoch?: number
  /** How far `next()` advances the clock, seconds (default 5, OpenSky's resolution). */
  stepSeconds?: number
}

export interface Simulator {
  readonly aircraft: number
  readonly epoch: number
  /** The response OpenSky would give for `unixSeconds` (rounded down to whole seconds). */
  stateAt(unixSeconds: number): SimulatedStates
  /** The response at the simulator's clock (starting at `epoch`), then advances the clock. */
  next(): SimulatedStates
}

interface Airframe {
  icao24: string
  country: string
  operator: Operator
  cls: AircraftClass
  registration: string | null
  /** What the transponder announces: often 0 (no information) or 1 (no ADS-B category). */
  category: number
  positionSource: number
  reportsGeoAltitude: boolean
}

interface Leg {
  index: number
  start: number
  /** Start of the next leg: the aircraft is hidden (at the stand) in between. */
  end: number
  /** Rows keep being reported, frozen, for a while after the last contact (like OpenSky). */
  lingerUntil: number
  plan: LegPlan
  callsign: string
  squawk: string | null
  withoutPosition: boolean
  geoOffset: number
}

interface Slot {
  seed: number
  airframe: Airframe
  first: Leg
  current: Leg
}

const FEET = 0.3048
const FPM_STEP = 64 * 0.00508 // ADS-B vertical rate resolution: 64 ft/min
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** Creates a deterministic traffic simulator; see the module comment. */
export function createSimulator(options: SimulatorOptions): Simulator {
  const { seed, aircraft } = options
  if (!Number.isInteger(aircraft) || aircraft < 0) {
    throw new Error(`aircraft must be a non-negative integer, got ${aircraft}`)
  }
  const bbox = options.bbox === undefined ? DACH_BBOX : options.bbox
  const epoch = Math.floor(options.epoch ?? Date.now() / 1000)
  const step = options.stepSeconds ?? 5
  const slots = createSlots(seed >>> 0, aircraft, epoch)
  let clock = epoch

  const stateAt = (unixSeconds: number): SimulatedStates => {
    const time = Math.floor(unixSeconds)
    const states: OpenSkyStateRow[] = []
    for (const slot of slots) {
      const row = rowAt(slot, time, bbox)
      if (row) {
        states.push(row)
      }
    }
    return { time, states }
  }

  return {
    aircraft,
    epoch,
    stateAt,
    next() {
      const result = stateAt(clock)
      clock += step
      return result
    },
  }
}

function createSlots(seed: number, count: number, epoch: number): Slot[] {
  const used = new Map<string, number>()
  const slots: Slot[] = []
  for (let index = 0; index < count; index++) {
    const slotSeed = mix32(seed, index)
    const random = new Random(slotSeed)
    const airframe = createAirframe(random, used, seed)
    const home = random.weighted(AIRPORTS, (airport) => airport.weight)
    const first = planNextLeg(slotSeed, airframe, 0, home, 0)
    // Shift the first leg back by a random part of its cycle, so at `epoch` every aircraft is
    // somewhere in its day: taxiing, climbing, cruising, at the stand.
    const offset = Math.floor(random.next() * (first.end - first.start))
    const shifted = shiftLeg(first, epoch - offset)
    slots.push({ seed: slotSeed, airframe, first: shifted, current: shifted })
  }
  return slots
}

function createAirframe(random: Random, used: Map<string, number>, seed: number): Airframe {
  for (;;) {
    const operator = random.weighted(OPERATORS, (candidate) => candidate.weight)
    const block = ADDRESS_BLOCKS[operator.registry]
    const taken = used.get(operator.registry) ?? 0
    if (taken >= block.size) {
      continue
    }
    used.set(operator.registry, taken + 1)
    // An odd multiplier permutes a power-of-two block, so addresses are unique and scattered.
    const scatter = (mix32(seed, block.start) | 1) >>> 0
    const shift = mix32(seed, block.size)
    const address = block.start + (((Math.imul(taken, scatter) >>> 0) + shift) & (block.size - 1))
    const cls = AIRCRAFT_CLASSES[random.pick(operator.classes)]
    const categoryRoll = random.next()
    return {
      icao24: address.toString(16).padStart(6, '0'),
      country: block.country,
      operator,
      cls,
      registration: operator.registrationPrefix
        ? operator.registrationPrefix +
          Array.from({ length: 5 - operator.registrationPrefix.length }, () =>
            random.pick([...LETTERS])
          ).join('')
        : null,
      category: categoryRoll < 0.4 ? 0 : categoryRoll < 0.6 ? 1 : cls.category,
      positionSource: random.chance(0.95) ? 0 : random.chance(0.8) ? 2 : 1,
      reportsGeoAltitude: random.chance(0.9),
    }
  }
}

function planNextLeg(
  slotSeed: number,
  airframe: Airframe,
  index: number,
  origin: Airport,
  start: number
): Leg {
  const random = new Random(mix32(slotSeed, index, 0x1e6))
  const destination = pickDestination(origin, airframe.cls, random)
  const plan = planLeg(origin, destination, airframe.cls, random)
  const isPrivate = airframe.registration !== null
  const arrival = start + plan.phaseEnds.taxiIn
  const linger = random.between(10, 120)
  const turnaround = isPrivate ? random.between(1800, 7200) : random.between(1200, 3600)
  return {
    index,
    start,
    end: Math.ceil(arrival + linger + turnaround),
    lingerUntil: arrival + linger,
    plan,
    callsign: callsignFor(airframe, random),
    squawk: squawkFor(isPrivate, random),
    withoutPosition: random.chance(0.012),
    geoOffset: random.between(30, 220),
  }
}

function shiftLeg(leg: Leg, start: number): Leg {
  const delta = start - leg.start
  return { ...leg, start, end: leg.end + delta, lingerUntil: leg.lingerUntil + delta }
}

const destinationCache = new Map<Airport, Map<AircraftClass, Airport[]>>()

/** Airports in the class's route range from `origin` (the nearest one if none is). */
function destinationsFrom(origin: Airport, cls: AircraftClass): Airport[] {
  let byClass = destinationCache.get(origin)
  if (!byClass) {
    byClass = new Map()
    destinationCache.set(origin, byClass)
  }
  let candidates = byClass.get(cls)
  if (!candidates) {
    const [shortest, longest] = cls.routeLength
    const others = AIRPORTS.filter((airport) => airport !== origin)
    candidates = others.filter((airport) => {
      const distance = distanceMeters(origin, airport)
      return distance >= shortest && distance <= longest
    })
    if (candidates.length === 0) {
      candidates = [
        others.reduce((best, airport) =>
          distanceMeters(origin, airport) < distanceMeters(origin, best) ? airport : best
        ),
      ]
    }
    byClass.set(cls, candidates)
  }
  return candidates
}

function pickDestination(origin: Airport, cls: AircraftClass, random: Random): Airport {
  // Light aircraft avoid the hubs; airliners go where the traffic is.
  const light = cls === AIRCRAFT_CLASSES.light
  return random.weighted(destinationsFrom(origin, cls), (airport) =>
    light ? 1 / airport.weight : airport.weight
  )
}

function callsignFor(airframe: Airframe, random: Random): string {
  if (airframe.registration) {
    return airframe.registration.padEnd(8, ' ')
  }
  // OpenSky shows an empty callsign for ~2 % of aircraft.
  if (random.chance(0.015)) {
    return ''
  }
  const designator = airframe.operator.designator ?? 'XXX'
  const number = random.chance(0.3)
    ? `${random.int(1, 99)}${random.pick([...LETTERS])}${random.chance(0.5) ? random.pick([...LETTERS]) : ''}`
    : String(random.int(1, 9999))
  return (designator + number).padEnd(8, ' ')
}

function squawkFor(isPrivate: boolean, random: Random): string | null {
  if (random.chance(0.32)) {
    return null
  }
  if (isPrivate) {
    return '7000'
  }
  if (random.chance(0.15)) {
    return '1000'
  }
  // Four octal digits, avoiding the 7xxx block (VFR and the emergency codes).
  return [random.int(0, 6), random.int(0, 7), random.int(0, 7), random.int(0, 7)].join('')
}

/** The leg the slot flies at `time`, or null before its first leg; legs are cached forward. */
function legAt(slot: Slot, time: number): Leg | null {
  if (time < slot.first.start) {
    return null
  }
  let leg = time < slot.current.start ? slot.first : slot.current
  while (time >= leg.end) {
    leg = planNextLeg(slot.seed, slot.airframe, leg.index + 1, leg.plan.destination, leg.end)
  }
  slot.current = leg
  return leg
}

function rowAt(slot: Slot, time: number, bbox: BoundingBox | null): OpenSkyStateRow | null {
  const leg = legAt(slot, time)
  if (!leg || time >= leg.lingerUntil) {
    return null
  }
  const airframe = slot.airframe
  const arrival = leg.start + leg.plan.phaseEnds.taxiIn
  // Receivers hear an aircraft every second or so; the last message and the last position lag
  // the response time a little, and for a few percent of rows the position is stale.
  const noise = mix32(slot.seed, time)
  const contactLag = noise % 4
  const positionLag = (noise >>> 8) % 100 < 4 ? 5 + ((noise >>> 16) % 35) : (noise >>> 16) % 2
  const lastContact = Math.max(leg.start, Math.min(time - contactLag, Math.floor(arrival)))
  // After the last contact the row is frozen: OpenSky repeats it until it expires.
  const timePosition = Math.max(
    leg.start,
    lastContact === Math.floor(arrival) ? lastContact : lastContact - positionLag
  )
  // One instant for everything, so position, altitude, speed and climb rate agree.
  const position = kinematicsAt(leg.plan, timePosition - leg.start)
  if (bbox && !containsPosition(bbox, position.lat, position.lon)) {
    return null
  }
  const hasPosition = !leg.withoutPosition
  const altitude = position.altitude === null ? null : quantizeFeet(position.altitude, 25)
  const geoAltitude =
    position.altitude === null || !airframe.reportsGeoAltitude
      ? null
      : quantizeFeet(position.altitude + leg.geoOffset, 25)
  return [
    airframe.icao24,
    leg.callsign,
    airframe.country,
    hasPosition ? timePosition : null,
    lastContact,
    hasPosition ? round(position.lon, 4) : null,
    hasPosition ? round(position.lat, 4) : null,
    hasPosition ? altitude : null,
    position.onGround,
    round(position.velocity, 2),
    round(position.track, 2) % 360,
    position.verticalRate === null
      ? null
      : round(Math.round(position.verticalRate / FPM_STEP) * FPM_STEP, 2),
    null,
    hasPosition ? geoAltitude : null,
    leg.squawk,
    false,
    airframe.positionSource,
    airframe.category,
  ]
}

function quantizeFeet(metres: number, stepFeet: number): number {
  return round(Math.round(metres / FEET / stepFeet) * stepFeet * FEET, 2)
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}
