import type { LiveState } from '../../shared/db/apply-states.ts'
import type { StateVector } from '../../shared/opensky/state-vector.ts'

export interface PreparedStates {
  states: LiveState[]
  droppedNoPosition: number
  droppedDuplicate: number
}

const MS_TO_KMH = 3.6

/**
 * Drops states without a position, converts units, and keeps only the newest state per aircraft
 * (a batch may hold one aircraft twice; one upsert statement must not touch a row twice).
 */
export function prepareStates(vectors: readonly StateVector[]): PreparedStates {
  const newest = new Map<string, LiveState>()
  let droppedNoPosition = 0
  let droppedDuplicate = 0
  for (const vector of vectors) {
    if (vector.latitude === null || vector.longitude === null) {
      droppedNoPosition++
      continue
    }
    const state = toLiveState(vector, vector.latitude, vector.longitude)
    const seen = newest.get(state.icao24)
    if (seen) {
      droppedDuplicate++
      if (seen.lastContact >= state.lastContact) {
        continue
      }
    }
    newest.set(state.icao24, state)
  }
  const states = [...newest.values()]
  return { states, droppedNoPosition, droppedDuplicate }
}

function toLiveState(vector: StateVector, lat: number, lon: number): LiveState {
  return {
    icao24: vector.icao24,
    callsign: vector.callsign,
    originCountry: vector.originCountry,
    lat,
    lon,
    altitude: vector.baroAltitude,
    geoAltitude: vector.geoAltitude,
    velocityKmh: vector.velocity === null ? null : vector.velocity * MS_TO_KMH,
    heading: vector.trueTrack,
    verticalRate: vector.verticalRate,
    onGround: vector.onGround,
    squawk: vector.squawk,
    spi: vector.spi,
    positionSource: vector.positionSource,
    category: vector.category,
    timePosition: vector.timePosition,
    lastContact: vector.lastContact,
  }
}
