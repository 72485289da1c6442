import { EMERGENCY_COLOR } from './colors.ts'
import { el } from './dom.ts'
import { Fleet } from './fleet.ts'

const ROW_HEIGHT = 30
const OVERSCAN = 6

export type SortKey = 'callsign' | 'altitude' | 'speed' | 'country' | 'icao24'

export interface AircraftListOptions {
  container: HTMLElement
  count: HTMLElement
  onSelect: (icao24: string) => void
}

/** Numbers sort descending (highest first), text ascending; unknowns go last either way. */
function sortIndices(fleet: Fleet, indices: number[], key: SortKey): number[] {
  const text = (values: readonly (string | null)[]) => (a: number, b: number) => {
    const x = values[a] ?? '\uffff'
    const y = values[b] ?? '\uffff'
    return x < y ? -1 : x > y ? 1 : 0
  }
  const number = (values: Float32Array) => (a: number, b: number) => {
    const x = values[a] as number
    const y = values[b] as number
    return (Number.isNaN(y) ? -Infinity : y) - (Number.isNaN(x) ? -Infinity : x)
  }
  const compare = {
    callsign: text(fleet.callsign),
    country: text(fleet.originCountry),
    icao24: text(fleet.icao24),
    altitude: number(fleet.altitude),
    speed: number(fleet.velocityKmh),
  }[key]
  return indices.sort(compare)
}

/**
 * The side list of aircraft with filter and sort. Virtualised: only the rows in view (plus a
 * few) exist in the DOM, so 20,000 aircraft cost about 40 elements.
 */
export class AircraftList {
  private readonly options: AircraftListOptions
  private readonly spacer: HTMLElement
  private fleet: Fleet = Fleet.empty()
  private visible: number[] = []
  private filter = ''
  private sortKey: SortKey = 'callsign'
  private selected: string | null = null

  constructor(options: AircraftListOptions) {
    this.options = options
    this.spacer = el('div', { class: 'vlist-spacer' })
    options.container.replaceChildren(this.spacer)
    options.container.addEventListener('scroll', () => this.render(), { passive: true })
    options.container.addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('[data-icao24]')
      if (row?.dataset.icao24) {
        options.onSelect(row.dataset.icao24)
      }
    })
  }

  setFleet(fleet: Fleet): void {
    this.fleet = fleet
    this.refilter()
  }

  setFilter(filter: string): void {
    this.filter = filter.trim().toLowerCase()
    this.refilter()
  }

  setSort(key: SortKey): void {
    this.sortKey = key
    this.refilter()
  }

  setSelected(icao24: string | null): void {
    this.selected = icao24
    this.render()
  }

  /** Scrolls the selected aircraft into view when it is in the list. */
  reveal(icao24: string): void {
    const position = this.visible.findIndex((i) => this.fleet.icao24[i] === icao24)
    if (position < 0) {
      return
    }
    const { container } = this.options
    const top = position * ROW_HEIGHT
    if (
      top < container.scrollTop ||
      top + ROW_HEIGHT > container.scrollTop + container.clientHeight
    ) {
      container.scrollTop = top - container.clientHeight / 2
    }
  }

  private refilter(): void {
    const fleet = this.fleet
    const filter = this.filter
    const indices: number[] = []
    for (let i = 0; i < fleet.count; i++) {
      if (
        filter === '' ||
        fleet.icao24[i]?.includes(filter) ||
        fleet.callsign[i]?.toLowerCase().includes(filter) ||
        fleet.originCountry[i]?.toLowerCase().includes(filter) ||
        fleet.squawk[i] === filter
      ) {
        indices.push(i)
      }
    }
    this.visible = sortIndices(fleet, indices, this.sortKey)
    this.options.count.textContent =
      filter === ''
        ? `${fleet.count.toLocaleString('en-GB')} aircraft`
        : `${indices.length.toLocaleString('en-GB')} of ${fleet.count.toLocaleString('en-GB')} aircraft`
    this.spacer.style.height = `${this.visible.length * ROW_HEIGHT}px`
    this.render()
  }

  private render(): void {
    const { container } = this.options
    const first = Math.max(0, Math.floor(container.scrollTop / ROW_HEIGHT) - OVERSCAN)
    const last = Math.min(
      this.visible.length,
      Math.ceil((container.scrollTop + container.clientHeight) / ROW_HEIGHT) + OVERSCAN
    )
    const fleet = this.fleet
    const rows: HTMLElement[] = []
    for (let position = first; position < last; position++) {
      const i = this.visible[position] as number
      const icao24 = fleet.icao24[i] as string
      const altitude = fleet.altitude[i] as number
      const speed = fleet.velocityKmh[i] as number
      const row = el(
        'div',
        {
          class: 'vlist-row',
          role: 'option',
          'data-icao24': icao24,
          'aria-selected': String(icao24 === this.selected),
        },
        el('span', { class: 'callsign' }, fleet.callsign[i] ?? '—'),
        el('span', { class: 'icao' }, icao24),
        el(
          'span',
          { class: 'alt' },
          fleet.onGround[i] === 1
            ? 'ground'
            : Number.isNaN(altitude)
              ? '–'
              : `${Math.round(altitude * 3.28084).toLocaleString('en-GB')} ft`
        ),
        el('span', { class: 'speed' }, Number.isNaN(speed) ? '–' : `${Math.round(speed)} km/h`),
        el('span', { class: 'country' }, fleet.originCountry[i] ?? '')
      )
      row.style.top = `${position * ROW_HEIGHT}px`
      if (fleet.emergency[i] === 1) {
        row.style.color = EMERGENCY_COLOR
      }
      rows.push(row)
    }
    this.spacer.replaceChildren(...rows)
  }
}
