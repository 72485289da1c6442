import type { FlightListItem, FlightsResponse } from '../api-types.ts'
import { getJson } from './api.ts'
import { byId, el } from './dom.ts'
import { formatUtc, utcInputToIso } from './format.ts'

const PAGE_SIZE = 50

/** The flight search form and its results; picking a result shows the flight's track. */
export class FlightSearch {
  private readonly form = byId<HTMLFormElement>('flight-search')
  private readonly results = byId('flight-results')
  private readonly more = byId<HTMLButtonElement>('flight-more')
  private readonly error = byId('flight-error')
  private query = new URLSearchParams()
  private nextCursor: string | null = null
  /** The page being loaded: a new search cancels it, and More waits for it. */
  private pending: AbortController | null = null

  constructor(onPick: (flightUuid: string) => void) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault()
      this.pending?.abort()
      this.query = this.readForm()
      this.results.replaceChildren()
      void this.load(null)
    })
    this.more.addEventListener('click', () => {
      // A second click while the page loads would ask for the same cursor again.
      if (!this.pending) {
        void this.load(this.nextCursor)
      }
    })
    this.results.addEventListener('click', (event) => {
      const item = (event.target as HTMLElement).closest<HTMLElement>('[data-flight]')
      if (item?.dataset.flight) {
        for (const selected of this.results.querySelectorAll('[aria-selected="true"]')) {
          selected.setAttribute('aria-selected', 'false')
        }
        item.setAttribute('aria-selected', 'true')
        onPick(item.dataset.flight)
      }
    })
  }

  private readForm(): URLSearchParams {
    const data = new FormData(this.form)
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) })
    const text = (name: string) => {
      const value = data.get(name)
      return typeof value === 'string' ? value.trim() : ''
    }
    if (text('callsign')) {
      query.set('callsign', text('callsign'))
    }
    if (text('icao24')) {
      query.set('icao24', text('icao24'))
    }
    const from = utcInputToIso(text('from'))
    const to = utcInputToIso(text('to'))
    if (from) {
      query.set('from', from)
    }
    if (to) {
      query.set('to', to)
    }
    return query
  }

  private async load(cursor: string | null): Promise<void> {
    const query = new URLSearchParams(this.query)
    if (cursor) {
      query.set('cursor', cursor)
    }
    this.error.textContent = ''
    const request = new AbortController()
    this.pending = request
    this.more.disabled = true
    try {
      const page = await getJson<FlightsResponse>(
        `/api/flights?${query.toString()}`,
        request.signal
      )
      if (request.signal.aborted) {
        return
      }
      this.nextCursor = page.nextCursor
      this.more.hidden = page.nextCursor === null
      this.results.append(...page.flights.map((flight) => this.item(flight)))
      if (cursor === null && page.flights.length === 0) {
        this.results.append(el('li', { class: 'muted' }, 'No flights found.'))
      }
    } catch (err) {
      if (request.signal.aborted) {
        return // a newer search replaced this one
      }
      // The API names the bad parameter; shown as text.
      this.error.textContent = err instanceof Error ? err.message : String(err)
      this.more.hidden = true
    } finally {
      if (this.pending === request) {
        this.pending = null
        this.more.disabled = false
      }
    }
  }

  private item(flight: FlightListItem): HTMLElement {
    return el(
      'li',
      { 'data-flight': flight.flightUuid, tabindex: '0', role: 'button', 'aria-selected': 'false' },
      el('span', { class: 'callsign' }, flight.callsign ?? '—'),
      el('span', { class: 'icao' }, flight.icao24),
      el('span', { class: flight.endTime ? 'muted' : 'live' }, flight.endTime ? 'ended' : 'live'),
      el(
        'span',
        { class: 'times' },
        `${formatUtc(flight.startTime)} → ${flight.endTime ? formatUtc(flight.endTime) : 'now'}, ${flight.waypointCount} waypoints`
      )
    )
  }
}
