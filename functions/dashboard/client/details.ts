import * as L from 'leaflet'

import type { AircraftDetail, AircraftResponse, FlightResponse, TrackPoint } from '../api-types.ts'
import { ApiError, getJson } from './api.ts'
import { EMERGENCY_COLOR } from './colors.ts'
import { byId, el, fillDefinitions } from './dom.ts'
import { EMERGENCY_SQUAWKS } from './fleet.ts'
import {
  formatAge,
  formatAltitude,
  formatHeading,
  formatSpeed,
  formatUtc,
  formatVerticalRate,
  secondsSince,
} from './format.ts'

const POSITION_SOURCES = ['ADS-B', 'ASTERIX', 'MLAT', 'FLARM']
// route_data gains a waypoint every few minutes: no need to fetch it on every poll.
const ROUTE_REFRESH_MS = 60_000

type Flight = FlightResponse['flight']

/**
 * The details panel and the track on the map, for a live aircraft picked on the map or in the
 * list, or for a flight picked in the search results.
 */
export class Details {
  private readonly map: L.Map
  private readonly panel = byId('details')
  private readonly title = byId('details-title')
  private readonly fields = byId('details-fields')
  private readonly trackText = byId('details-track')
  private readonly track = L.layerGroup()
  private readonly onClose: () => void
  private icao24: string | null = null
  private aircraft: AircraftDetail | null = null
  private flight: Flight | null = null
  private routeFetchedAt = 0
  private generation = 0
  trackPoints = 0

  constructor(map: L.Map, onClose: () => void) {
    this.map = map
    this.onClose = onClose
    this.track.addTo(map)
    byId('details-close').addEventListener('click', () => {
      this.clear()
      this.onClose()
    })
  }

  get selectedIcao24(): string | null {
    return this.icao24
  }

  /** Shows a live aircraft and its current flight's track. */
  async selectAircraft(icao24: string): Promise<void> {
    const generation = ++this.generation
    this.icao24 = icao24
    this.aircraft = null
    this.flight = null
    this.panel.hidden = false
    this.title.textContent = icao24
    fillDefinitions(this.fields, [['Status', 'loading…']])
    this.trackText.textContent = ''
    this.track.clearLayers()
    this.trackPoints = 0
    await this.refresh(generation, true)
  }

  /** Shows a flight from the search: its whole track, and the aircraft if it is still live. */
  async showFlight(flightUuid: string): Promise<void> {
    const generation = ++this.generation
    const { flight } = await getJson<FlightResponse>(
      `/api/flights/${encodeURIComponent(flightUuid)}`
    )
    if (generation !== this.generation) {
      return
    }
    this.icao24 = flight.live ? flight.icao24 : null
    this.aircraft = flight.live
    this.flight = flight
    this.routeFetchedAt = Date.now()
    this.panel.hidden = false
    this.render()
    const bounds = this.trackBounds()
    if (bounds) {
      this.map.fitBounds(bounds, { padding: [40, 40], maxZoom: 9 })
    }
  }

  /** Called after each live update: refreshes the figures and the live end of the track. */
  async update(): Promise<void> {
    if (this.icao24 === null) {
      return
    }
    await this.refresh(this.generation, Date.now() - this.routeFetchedAt > ROUTE_REFRESH_MS)
  }

  clear(): void {
    this.generation++
    this.icao24 = null
    this.aircraft = null
    this.flight = null
    this.panel.hidden = true
    this.track.clearLayers()
    this.trackPoints = 0
  }

  private async refresh(generation: number, withRoute: boolean): Promise<void> {
    const icao24 = this.icao24
    if (icao24 === null) {
      return
    }
    try {
      const { aircraft } = await getJson<AircraftResponse>(
        `/api/aircraft/${encodeURIComponent(icao24)}`
      )
      if (generation !== this.generation) {
        return
      }
      this.aircraft = aircraft
      if (withRoute || this.flight?.flightUuid !== aircraft.flightUuid) {
        const { flight } = await getJson<FlightResponse>(`/api/flights/${aircraft.flightUuid}`)
        if (generation !== this.generation) {
          return
        }
        this.flight = flight
        this.routeFetchedAt = Date.now()
      }
    } catch (err) {
      if (generation !== this.generation) {
        return
      }
      if (err instanceof ApiError && err.status === 404) {
        // The sweeper ended the flight: keep what we know and say so.
        this.aircraft = null
      } else {
        throw err
      }
    }
    this.render()
  }

  private trackPointsWithLive(): L.LatLngTuple[] {
    const route: TrackPoint[] = this.flight?.route ?? []
    const points: L.LatLngTuple[] = route.map(([lat, lon]) => [lat, lon])
    const live = this.aircraft
    if (live && this.flight && this.flight.flightUuid === live.flightUuid) {
      points.push([live.lat, live.lon])
    }
    return points
  }

  private trackBounds(): L.LatLngBounds | null {
    const points = this.trackPointsWithLive()
    return points.length > 0 ? L.latLngBounds(points) : null
  }

  private render(): void {
    const aircraft = this.aircraft
    const flight = this.flight
    const callsign = aircraft?.callsign ?? flight?.callsign ?? null
    // textContent only: the callsign and every other value here is untrusted input.
    this.title.textContent = callsign ?? aircraft?.icao24 ?? flight?.icao24 ?? ''
    const rows: [string, string | Node][] = []
    if (aircraft) {
      const squawk = aircraft.squawk
      const meaning = squawk !== null ? EMERGENCY_SQUAWKS[squawk] : undefined
      rows.push(
        ['ICAO24', aircraft.icao24],
        ['Country', aircraft.originCountry ?? '–'],
        ['Altitude', aircraft.onGround ? 'on the ground' : formatAltitude(aircraft.altitude)],
        ['GNSS altitude', formatAltitude(aircraft.geoAltitude)],
        ['Speed', formatSpeed(aircraft.velocityKmh)],
        ['Heading', formatHeading(aircraft.heading)],
        ['Vertical rate', formatVerticalRate(aircraft.verticalRate)],
        [
          'Squawk',
          meaning
            ? el('strong', { class: 'emergency' }, `${squawk} (${meaning})`)
            : (squawk ?? '–'),
        ],
        ['Last contact', formatAge(secondsSince(aircraft.lastContact))],
        ['Source', POSITION_SOURCES[aircraft.positionSource ?? -1] ?? '–']
      )
    } else if (flight) {
      rows.push(['ICAO24', flight.icao24], ['Country', flight.originCountry ?? '–'])
      if (this.icao24 !== null) {
        rows.push(['Status', 'no longer live'])
      }
    }
    if (flight) {
      rows.push(['Flight start', formatUtc(flight.startTime)])
      // Open until the aircraft falls silent, also while it taxis.
      rows.push(['Flight end', flight.endTime ? formatUtc(flight.endTime) : 'open'])
    }
    fillDefinitions(this.fields, rows)
    this.drawTrack(aircraft?.squawk ?? null)
  }

  private drawTrack(squawk: string | null): void {
    this.track.clearLayers()
    const points = this.trackPointsWithLive()
    this.trackPoints = points.length
    const waypoints = this.flight?.route.length ?? 0
    this.trackText.textContent =
      points.length === 0
        ? 'No track yet.'
        : `Track: ${waypoints} waypoint${waypoints === 1 ? '' : 's'}${points.length > waypoints ? ' and the live position' : ''}.`
    if (points.length === 0) {
      return
    }
    const color = squawk !== null && squawk in EMERGENCY_SQUAWKS ? EMERGENCY_COLOR : '#ffd447'
    L.polyline(points, { color, weight: 2.5, opacity: 0.9, interactive: false }).addTo(this.track)
    for (const [lat, lon] of points.slice(0, waypoints)) {
      L.circleMarker([lat, lon], {
        radius: 3,
        color,
        weight: 1,
        fillColor: '#101820',
        fillOpacity: 1,
        interactive: false,
      }).addTo(this.track)
    }
  }
}
