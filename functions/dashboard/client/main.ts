import 'leaflet/dist/leaflet.css'
import './styles.css'

import * as L from 'leaflet'

import type { StatusResponse } from '../api-types.ts'
import { AircraftCanvas } from './aircraft-canvas.ts'
import { AircraftList, type SortKey } from './aircraft-list.ts'
import { getJson, LiveFeed } from './api.ts'
import { addBaseMap } from './base-map.ts'
import { ALTITUDE_BANDS, EMERGENCY_COLOR, GROUND_COLOR } from './colors.ts'
import { Details } from './details.ts'
import { byId, el } from './dom.ts'
import { Fleet } from './fleet.ts'
import { FlightSearch } from './flight-search.ts'
import { renderStatus } from './status-panel.ts'

/** Hooks for the browser test and the frame-time benchmark (read-only views of the page). */
export interface SkytrailDebug {
  aircraftCount(): number
  drawnCount(): number
  lastDrawMs(): number
  /** Viewport (client) coordinates of an aircraft's glyph, or null when not drawn. */
  screenPosition(icao24: string): { x: number; y: number } | null
  selected(): string | null
  trackPoints(): number
  updates(): number
  /** Redraws `frames` times and returns each draw's duration (rasterised) in milliseconds. */
  measureDraws(frames: number): number[]
  /** Intervals between animation frames during the next `durationMs` (drive input meanwhile). */
  recordFrames(durationMs: number): Promise<number[]>
  /** Fetches and applies the whole fleet again, ignoring the ETag; returns lastUpdate(). */
  reload(): Promise<{ fetchMs: number; applyMs: number }>
  /** Milliseconds of the last /api/live update: download and JSON parse, then decode and redraw. */
  lastUpdate(): { fetchMs: number; applyMs: number }
}

declare global {
  interface Window {
    skytrailDebug?: SkytrailDebug
  }
}

const body = document.body.dataset
const refreshMs = Math.max(1, Number(body.refreshSeconds ?? '5')) * 1000
const tileUrl = body.tileUrl ?? null

const map = L.map('map', {
  preferCanvas: true,
  worldCopyJump: false,
  minZoom: 2,
  maxZoom: 14,
  maxBounds: [
    [-88, -200],
    [88, 200],
  ],
  maxBoundsViscosity: 1,
  // Leaflet's attribution control writes HTML; the page shows attribution as text instead.
  attributionControl: false,
}).setView([30, 0], 2)

function swatch(color: string, label: string): HTMLElement {
  const chip = el('i')
  // Through CSSOM: a style attribute would be inline style, which the CSP forbids.
  chip.style.background = color
  return el('span', { class: 'swatch' }, chip, label)
}

byId('legend').append(
  el('div', { class: 'attribution' }, body.tileAttribution || 'Outlines: Natural Earth'),
  ...ALTITUDE_BANDS.map((band) => swatch(band.color, band.label)),
  swatch(GROUND_COLOR, 'ground'),
  swatch(EMERGENCY_COLOR, '7500/7600/7700')
)

const aircraftCanvas = new AircraftCanvas(map)
let fleet = Fleet.empty()
let updates = 0
let lastUpdate = { fetchMs: 0, applyMs: 0 }

const details = new Details(map, () => select(null))
const list = new AircraftList({
  container: byId('aircraft-list'),
  count: byId('aircraft-count'),
  onSelect: (icao24) => {
    select(icao24)
    const i = fleet.indexOf(icao24)
    if (i >= 0) {
      map.setView([fleet.lat[i] as number, fleet.lon[i] as number], Math.max(map.getZoom(), 6))
    }
  },
})

function select(icao24: string | null): void {
  aircraftCanvas.setSelected(icao24)
  list.setSelected(icao24)
  if (icao24) {
    list.reveal(icao24)
    void details.selectAircraft(icao24).catch(reportError)
  } else {
    details.clear()
  }
}

new FlightSearch((flightUuid) => {
  void details
    .showFlight(flightUuid)
    .then(() => {
      const live = details.selectedIcao24
      aircraftCanvas.setSelected(live)
      list.setSelected(live)
    })
    .catch(reportError)
})

map.on('click', (event: L.LeafletMouseEvent) => {
  const hit = aircraftCanvas.hitTest(event.containerPoint)
  select(hit >= 0 ? (fleet.icao24[hit] ?? null) : null)
})
map.on('mousemove', (event: L.LeafletMouseEvent) => {
  map
    .getContainer()
    .classList.toggle('over-aircraft', aircraftCanvas.hitTest(event.containerPoint) >= 0)
})

const filterInput = byId<HTMLInputElement>('aircraft-filter')
filterInput.addEventListener('input', () => list.setFilter(filterInput.value))
const sortSelect = byId<HTMLSelectElement>('aircraft-sort')
sortSelect.addEventListener('change', () => list.setSort(sortSelect.value as SortKey))

for (const tab of document.querySelectorAll<HTMLButtonElement>('[data-tab]')) {
  tab.addEventListener('click', () => {
    for (const other of document.querySelectorAll<HTMLButtonElement>('[data-tab]')) {
      const active = other === tab
      other.setAttribute('aria-selected', String(active))
      byId(`tab-${other.dataset.tab}`).hidden = !active
    }
  })
}

function reportError(err: unknown): void {
  console.error(err)
}

function describeFailure(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * The map opens on the whole world; the first aircraft to arrive frame it instead (the default
 * box is Germany, Austria and Switzerland), unless someone has moved it by then.
 */
let framed = false
// Once someone has moved the map (a drag, a zoom, a flight's track shown), it stays where it is.
map.on('dragstart zoomstart', () => (framed = true))
function frameFirstFleet(): void {
  const bounds = fleet.bounds()
  if (!framed && bounds) {
    framed = true
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 8, animate: false })
  }
}

const feed = new LiveFeed()
let lastStatus: { status: StatusResponse; receivedAt: number } | null = null

async function refresh(): Promise<void> {
  // The new frame replaces the old one only once it is fully decoded: no blank map in between.
  const started = performance.now()
  const [live, status] = await Promise.allSettled([
    feed.next(),
    getJson<StatusResponse>('/api/status'),
  ])
  if (live.status === 'fulfilled' && live.value !== null) {
    const fetched = performance.now()
    fleet = new Fleet(live.value)
    frameFirstFleet()
    aircraftCanvas.setFleet(fleet, details.selectedIcao24)
    aircraftCanvas.draw()
    list.setFleet(fleet)
    updates++
    lastUpdate = { fetchMs: fetched - started, applyMs: performance.now() - fetched }
  } else if (live.status === 'rejected') {
    reportError(live.reason)
  }
  if (status.status === 'fulfilled') {
    lastStatus = { status: status.value, receivedAt: Date.now() }
  } else {
    reportError(status.reason)
  }
  // The map keeps the last aircraft it got; the summary says when they stopped coming.
  const failed = [live, status].find((result) => result.status === 'rejected')
  renderStatus(
    {
      status: lastStatus?.status ?? null,
      receivedSecondsAgo: lastStatus ? (Date.now() - lastStatus.receivedAt) / 1000 : 0,
      failure: failed ? describeFailure(failed.reason) : null,
    },
    fleet.count
  )
  await details.update().catch(reportError)
}

/** The refresh in flight, if any: two at once could draw the older answer last. */
let refreshing: Promise<void> | null = null

function refreshOnce(): Promise<void> {
  refreshing ??= refresh()
    .catch(reportError)
    .finally(() => {
      refreshing = null
    })
  return refreshing
}

async function poll(): Promise<void> {
  if (document.visibilityState === 'visible') {
    await refreshOnce()
  }
  // Scheduled after the previous update finished, so slow answers never pile up.
  setTimeout(() => void poll(), refreshMs)
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') {
    void refreshOnce()
  }
})

window.skytrailDebug = {
  aircraftCount: () => fleet.count,
  drawnCount: () => aircraftCanvas.drawn,
  lastDrawMs: () => aircraftCanvas.lastDrawMs,
  screenPosition: (icao24) => {
    const position = aircraftCanvas.containerPosition(fleet.indexOf(icao24))
    if (!position) {
      return null
    }
    const box = map.getContainer().getBoundingClientRect()
    return { x: box.left + position.x, y: box.top + position.y }
  },
  selected: () => details.selectedIcao24,
  trackPoints: () => details.trackPoints,
  updates: () => updates,
  measureDraws: (frames) =>
    Array.from({ length: frames }, () => {
      const started = performance.now()
      aircraftCanvas.draw()
      aircraftCanvas.flush()
      return performance.now() - started
    }),
  recordFrames: (durationMs) =>
    new Promise((resolve) => {
      const intervals: number[] = []
      const end = performance.now() + durationMs
      let previous = performance.now()
      const frame = (now: number) => {
        intervals.push(now - previous)
        previous = now
        if (now < end) {
          requestAnimationFrame(frame)
        } else {
          resolve(intervals.slice(1))
        }
      }
      requestAnimationFrame(frame)
    }),
  reload: async () => {
    feed.forget()
    await refresh()
    return lastUpdate
  },
  lastUpdate: () => lastUpdate,
}

void addBaseMap(map, { tileUrl, worldVersion: body.worldVersion ?? '' }).catch(reportError)
void poll()
