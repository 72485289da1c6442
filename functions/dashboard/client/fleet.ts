import type { LiveResponse } from '../api-types.ts'
import { altitudeBand } from './colors.ts'

/** Squawk codes that mean hijack (7500), radio failure (7600) and general emergency (7700). */
export const EMERGENCY_SQUAWKS: Readonly<Record<string, string>> = {
  '7500': 'hijack',
  '7600': 'radio failure',
  '7700': 'emergency',
}

// Leaflet's Web Mercator clamps latitudes here; so must we, or poles project to infinity.
const MAX_LATITUDE = 85.0511287798

/** Longitude to Web Mercator x in [0, 1], the same projection Leaflet's EPSG3857 uses. */
export function mercatorX(lon: number): number {
  return 0.5 + lon / 360
}

/** Latitude to Web Mercator y in [0, 1], 0 at the top (north). */
export function mercatorY(lat: number): number {
  const clamped = Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat))
  const phi = (clamped * Math.PI) / 180
  return 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI)
}

/**
 * One /api/live answer decoded into typed arrays: index i is one aircraft in every array. The
 * projection is computed once per update, so a redraw while panning only scales and offsets.
 */
export class Fleet {
  readonly count: number
  readonly icao24: readonly string[]
  readonly callsign: readonly (string | null)[]
  readonly originCountry: readonly (string | null)[]
  readonly squawk: readonly (string | null)[]
  readonly lat: Float64Array
  readonly lon: Float64Array
  /** Metres; NaN when unknown. */
  readonly altitude: Float32Array
  /** km/h; NaN when unknown. */
  readonly velocityKmh: Float32Array
  /** Degrees; NaN when unknown. */
  readonly heading: Float32Array
  readonly onGround: Uint8Array
  readonly emergency: Uint8Array
  /** Colour band of the altitude (colors.ts), -1 when unknown. */
  readonly band: Int8Array
  readonly x: Float64Array
  readonly y: Float64Array
  readonly receivedAt: number
  readonly time: string
  private byIcao24: Map<string, number> | undefined

  constructor(response: LiveResponse, receivedAt = Date.now()) {
    const { columns } = response
    const count = columns.icao24.length
    for (const [name, column] of Object.entries(columns)) {
      if (column.length !== count) {
        throw new Error(`/api/live column ${name} has ${column.length} values, expected ${count}`)
      }
    }
    this.count = count
    this.time = response.time
    this.receivedAt = receivedAt
    this.icao24 = columns.icao24
    this.callsign = columns.callsign
    this.originCountry = columns.originCountry
    this.squawk = columns.squawk
    this.lat = Float64Array.from(columns.lat)
    this.lon = Float64Array.from(columns.lon)
    this.altitude = Float32Array.from(columns.altitude, (v) => v ?? NaN)
    this.velocityKmh = Float32Array.from(columns.velocityKmh, (v) => v ?? NaN)
    this.heading = Float32Array.from(columns.heading, (v) => v ?? NaN)
    this.onGround = Uint8Array.from(columns.onGround)
    this.emergency = Uint8Array.from(columns.squawk, (s) =>
      s !== null && s in EMERGENCY_SQUAWKS ? 1 : 0
    )
    this.band = Int8Array.from(this.altitude, (metres) => altitudeBand(metres))
    this.x = new Float64Array(count)
    this.y = new Float64Array(count)
    for (let i = 0; i < count; i++) {
      this.x[i] = mercatorX(this.lon[i] as number)
      this.y[i] = mercatorY(this.lat[i] as number)
    }
  }

  static empty(): Fleet {
    return new Fleet({
      time: new Date(0).toISOString(),
      newestContact: null,
      count: 0,
      columns: {
        icao24: [],
        callsign: [],
        originCountry: [],
        lat: [],
        lon: [],
        altitude: [],
        velocityKmh: [],
        heading: [],
        onGround: [],
        squawk: [],
      },
    })
  }

  /** Index of an aircraft, or -1 when it is not in this update. */
  indexOf(icao24: string): number {
    if (!this.byIcao24) {
      this.byIcao24 = new Map(this.icao24.map((id, i) => [id, i]))
    }
    return this.byIcao24.get(icao24) ?? -1
  }

  /** The box around every aircraft as [[south, west], [north, east]], or null with none. */
  bounds(): [[number, number], [number, number]] | null {
    if (this.count === 0) {
      return null
    }
    let [south, west, north, east] = [Infinity, Infinity, -Infinity, -Infinity]
    for (let i = 0; i < this.count; i++) {
      const lat = this.lat[i] as number
      const lon = this.lon[i] as number
      south = Math.min(south, lat)
      north = Math.max(north, lat)
      west = Math.min(west, lon)
      east = Math.max(east, lon)
    }
    return [
      [south, west],
      [north, east],
    ]
  }

  /** A label for lists and the map: the callsign, else the icao24. */
  label(i: number): string {
    return this.callsign[i] ?? (this.icao24[i] as string)
  }
}
