import * as L from 'leaflet'

import {
  ALTITUDE_BANDS,
  EMERGENCY_COLOR,
  GROUND_COLOR,
  SELECTED_COLOR,
  UNKNOWN_ALTITUDE_COLOR,
} from './colors.ts'
import { Fleet } from './fleet.ts'
import { blitSprite, type Glyph, rotationIndex, SpriteCache, type SpriteSheet } from './sprites.ts'

// Glyphs pointing north in unit coordinates (y down), rotated to the heading when drawn. The dart
// reads better at the few pixels of a zoomed-out map; the plane silhouette when zoomed in.
const DART: Glyph = [
  [0, -1],
  [0.7, 0.8],
  [0, 0.4],
  [-0.7, 0.8],
]
const PLANE: Glyph = [
  [0, -1],
  [0.12, -0.75],
  [0.12, -0.25],
  [0.95, 0.2],
  [0.95, 0.35],
  [0.12, 0.15],
  [0.1, 0.65],
  [0.38, 0.85],
  [0.38, 0.97],
  [0, 0.88],
  [-0.38, 0.97],
  [-0.38, 0.85],
  [-0.1, 0.65],
  [-0.12, 0.15],
  [-0.95, 0.35],
  [-0.95, 0.2],
  [-0.12, -0.25],
  [-0.12, -0.75],
]

// Aircraft without a heading, and on the ground: not rotated.
const DOT: Glyph = Array.from({ length: 8 }, (_, k) => {
  const angle = (k / 8) * Math.PI * 2
  return [Math.cos(angle) * 0.55, Math.sin(angle) * 0.55] as const
})
const SQUARE: Glyph = [
  [-0.45, -0.45],
  [0.45, -0.45],
  [0.45, 0.45],
  [-0.45, 0.45],
]

const CELL = 24
const HIT_RADIUS = 12
const LABEL_ZOOM = 7
const LABEL_MAX_AIRCRAFT = 800
const LABEL_CELL_WIDTH = 70
const LABEL_CELL_HEIGHT = 16

export interface ScreenPoint {
  x: number
  y: number
}

/**
 * Draws the fleet on one canvas over the map: rotated glyphs coloured by altitude, squares for
 * aircraft on the ground, red halos for emergency squawks, callsigns when zoomed in. Not 20,000
 * DOM nodes: one canvas, redrawn on each frame the map moves and when new data arrives, with a
 * grid of drawn positions for hit testing clicks.
 */
export class AircraftCanvas {
  readonly canvas: HTMLCanvasElement
  private readonly map: L.Map
  private readonly context: CanvasRenderingContext2D
  private fleet: Fleet = Fleet.empty()
  private selected = -1
  private readonly sprites = new SpriteCache()
  private frame: ImageData | null = null
  private framePixels = new Uint32Array(0)
  private frameRequested = false
  // Screen positions of drawn aircraft and a grid over them (counting-sort layout).
  private screenX = new Float32Array(0)
  private screenY = new Float32Array(0)
  private drawnIndex = new Int32Array(0)
  private cellStart = new Int32Array(0)
  private cellItems = new Int32Array(0)
  private columns = 0
  private rows = 0
  drawn = 0
  lastDrawMs = 0

  constructor(map: L.Map) {
    this.map = map
    const pane = map.createPane('aircraft')
    pane.style.zIndex = '450'
    pane.style.pointerEvents = 'none'
    this.canvas = L.DomUtil.create('canvas', 'aircraft-canvas leaflet-zoom-animated', pane)
    const context = this.canvas.getContext('2d')
    if (!context) {
      throw new Error('this browser has no 2D canvas')
    }
    this.context = context
    map.on('move resize zoomend viewreset', () => this.requestDraw())
    map.on('zoomanim', (event) => this.animateZoom(event))
    this.draw()
  }

  /** Swaps in a new update; the caller draws (at once, so the old frame stays until then). */
  setFleet(fleet: Fleet, selectedIcao24: string | null): void {
    this.fleet = fleet
    this.selected = selectedIcao24 ? fleet.indexOf(selectedIcao24) : -1
  }

  setSelected(icao24: string | null): void {
    this.selected = icao24 ? this.fleet.indexOf(icao24) : -1
    this.requestDraw()
  }

  /** Draws on the next animation frame; many requests in one frame draw once. */
  requestDraw(): void {
    if (this.frameRequested) {
      return
    }
    this.frameRequested = true
    requestAnimationFrame(() => {
      this.frameRequested = false
      this.draw()
    })
  }

  /** The aircraft drawn nearest to a container point, within a glyph's reach, or -1. */
  hitTest(point: ScreenPoint): number {
    const column = Math.floor(point.x / CELL)
    const row = Math.floor(point.y / CELL)
    let best = -1
    let bestDistance = HIT_RADIUS * HIT_RADIUS
    for (let r = row - 1; r <= row + 1; r++) {
      for (let c = column - 1; c <= column + 1; c++) {
        if (r < 0 || c < 0 || r >= this.rows || c >= this.columns) {
          continue
        }
        const cell = r * this.columns + c
        for (
          let k = this.cellStart[cell] as number;
          k < (this.cellStart[cell + 1] as number);
          k++
        ) {
          const slot = this.cellItems[k] as number
          const dx = (this.screenX[slot] as number) - point.x
          const dy = (this.screenY[slot] as number) - point.y
          const distance = dx * dx + dy * dy
          if (distance <= bestDistance) {
            bestDistance = distance
            best = this.drawnIndex[slot] as number
          }
        }
      }
    }
    return best
  }

  /** Where an aircraft is drawn, in container pixels, or null when it is not on screen. */
  containerPosition(index: number): ScreenPoint | null {
    for (let slot = 0; slot < this.drawn; slot++) {
      if (this.drawnIndex[slot] === index) {
        return { x: this.screenX[slot] as number, y: this.screenY[slot] as number }
      }
    }
    return null
  }

  /** Makes the browser rasterise what was drawn, so a measurement includes the pixels. */
  flush(): void {
    this.context.getImageData(0, 0, 1, 1)
  }

  private animateZoom(event: L.ZoomAnimEvent): void {
    // The same transform Leaflet applies to its own renderers, so the aircraft scale with the
    // base map during the zoom animation instead of jumping at its end.
    const map = this.map
    const scale = map.getZoomScale(event.zoom, map.getZoom())
    const topLeft = map.containerPointToLatLng([0, 0])
    const mapPanePosition = L.DomUtil.getPosition(map.getPane('mapPane') as HTMLElement)
    const newOrigin = map
      .project(event.center, event.zoom)
      .subtract(map.getSize().divideBy(2))
      .add(mapPanePosition)
      .round()
    const offset = map.project(topLeft, event.zoom).subtract(newOrigin)
    L.DomUtil.setTransform(this.canvas, offset, scale)
  }

  draw(): void {
    const started = performance.now()
    const map = this.map
    const size = map.getSize()
    const ratio = window.devicePixelRatio || 1
    const canvas = this.canvas
    if (
      canvas.width !== Math.round(size.x * ratio) ||
      canvas.height !== Math.round(size.y * ratio)
    ) {
      canvas.width = Math.round(size.x * ratio)
      canvas.height = Math.round(size.y * ratio)
      canvas.style.width = `${size.x}px`
      canvas.style.height = `${size.y}px`
    }
    // Keep the canvas exactly over the viewport, whatever the map pane's offset.
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]))

    const fleet = this.fleet
    const zoom = map.getZoom()
    const worldSize = 256 * 2 ** zoom
    const origin = map.containerPointToLayerPoint([0, 0]).add(map.getPixelOrigin())
    const context = this.context
    context.setTransform(ratio, 0, 0, ratio, 0, 0)

    if (this.screenX.length < fleet.count) {
      this.screenX = new Float32Array(fleet.count)
      this.screenY = new Float32Array(fleet.count)
      this.drawnIndex = new Int32Array(fleet.count)
    }
    // Project and cull: only aircraft within the viewport (plus a glyph's margin) are drawn.
    const margin = 16
    let drawn = 0
    for (let i = 0; i < fleet.count; i++) {
      const x = (fleet.x[i] as number) * worldSize - origin.x
      const y = (fleet.y[i] as number) * worldSize - origin.y
      if (x < -margin || y < -margin || x > size.x + margin || y > size.y + margin) {
        continue
      }
      this.screenX[drawn] = x
      this.screenY[drawn] = y
      this.drawnIndex[drawn] = i
      drawn++
    }
    this.drawn = drawn

    const glyphName = zoom >= 6 ? 'plane' : 'dart'
    const glyph = zoom >= 6 ? PLANE : DART
    const glyphSize = zoom >= 8 ? 9 : zoom >= 6 ? 8 : zoom >= 4 ? 6 : 5
    this.drawSprites(drawn, glyph, glyphName, glyphSize, ratio)
    context.setTransform(ratio, 0, 0, ratio, 0, 0)
    if (zoom >= LABEL_ZOOM || drawn <= LABEL_MAX_AIRCRAFT) {
      this.drawLabels(drawn, glyphSize, size.x, size.y)
    }
    this.drawEmergencies(drawn, glyph, glyphSize)
    this.drawSelected(glyph, glyphSize)
    this.buildGrid(size.x, size.y, drawn)
    canvas.dataset.drawn = String(drawn)
    this.lastDrawMs = performance.now() - started
  }

  /**
   * Every drawn aircraft except emergencies, copied as sprites into a frame buffer that is put
   * on the canvas in one call. Measured in headless Chromium without a GPU (the CI browser),
   * 20,000 drawImage calls took about 350 ms and one path of 20,000 outlines over 2 s; the whole
   * draw with these pixel copies takes 20 to 35 ms (bench/results/dashboard.json).
   */
  private drawSprites(
    drawn: number,
    glyph: Glyph,
    glyphName: string,
    glyphSize: number,
    ratio: number
  ): void {
    const { context, fleet, sprites, canvas } = this
    const outline = 'rgba(8, 14, 22, 0.9)'
    const bandSheets: SpriteSheet[] = [
      UNKNOWN_ALTITUDE_COLOR,
      ...ALTITUDE_BANDS.map((band) => band.color),
    ].map((color) => sprites.sheet(glyph, glyphName, glyphSize, color, outline, ratio))
    const unknownHeading = sprites.sheet(
      DOT,
      'dot',
      glyphSize,
      UNKNOWN_ALTITUDE_COLOR,
      outline,
      ratio
    )
    const ground = sprites.sheet(SQUARE, 'square', glyphSize, GROUND_COLOR, outline, ratio)
    const width = canvas.width
    const height = canvas.height
    if (!this.frame || this.frame.width !== width || this.frame.height !== height) {
      this.frame = context.createImageData(width, height)
      this.framePixels = new Uint32Array(this.frame.data.buffer)
    } else {
      this.framePixels.fill(0)
    }
    const pixels = this.framePixels
    for (let slot = 0; slot < drawn; slot++) {
      const i = this.drawnIndex[slot] as number
      if (fleet.emergency[i] === 1) {
        continue
      }
      const heading = fleet.heading[i] as number
      let sheet: SpriteSheet
      let rotation = 0
      if (fleet.onGround[i] === 1) {
        sheet = ground
      } else if (Number.isNaN(heading)) {
        sheet = unknownHeading
      } else {
        sheet = bandSheets[(fleet.band[i] as number) + 1] as SpriteSheet
        rotation = rotationIndex(heading)
      }
      const x = Math.round((this.screenX[slot] as number) * ratio)
      const y = Math.round((this.screenY[slot] as number) * ratio)
      blitSprite(pixels, width, height, sheet, rotation, x, y)
    }
    context.putImageData(this.frame, 0, 0)
  }

  /** Adds one rotated glyph (a circle without heading) to the current path, in CSS pixels. */
  private tracePlane(slot: number, i: number, glyph: Glyph, glyphSize: number): void {
    const context = this.context
    const cx = this.screenX[slot] as number
    const cy = this.screenY[slot] as number
    const heading = this.fleet.heading[i] as number
    if (Number.isNaN(heading)) {
      context.moveTo(cx + glyphSize * 0.5, cy)
      context.arc(cx, cy, glyphSize * 0.5, 0, Math.PI * 2)
      return
    }
    const angle = (heading * Math.PI) / 180
    const cos = Math.cos(angle) * glyphSize
    const sin = Math.sin(angle) * glyphSize
    glyph.forEach(([px, py], v) => {
      const x = cx + px * cos - py * sin
      const y = cy + px * sin + py * cos
      if (v === 0) {
        context.moveTo(x, y)
      } else {
        context.lineTo(x, y)
      }
    })
    context.closePath()
  }

  /** Callsigns beside their aircraft, at most one per label-sized cell so they stay legible. */
  private drawLabels(drawn: number, glyphSize: number, width: number, height: number): void {
    const { context, fleet } = this
    context.font = '11px system-ui, sans-serif'
    context.textBaseline = 'middle'
    context.lineWidth = 3
    context.strokeStyle = 'rgba(10, 18, 28, 0.85)'
    context.fillStyle = '#e8eef4'
    const columns = Math.ceil(width / LABEL_CELL_WIDTH) + 1
    const taken = new Uint8Array(columns * (Math.ceil(height / LABEL_CELL_HEIGHT) + 1))
    for (let slot = 0; slot < drawn; slot++) {
      const i = this.drawnIndex[slot] as number
      const cell =
        Math.floor(Math.max(0, this.screenY[slot] as number) / LABEL_CELL_HEIGHT) * columns +
        Math.floor(Math.max(0, this.screenX[slot] as number) / LABEL_CELL_WIDTH)
      if (taken[cell] === 1 && i !== this.selected) {
        continue
      }
      taken[cell] = 1
      // Canvas text is drawn as pixels, never parsed: untrusted callsigns are harmless here.
      const label = fleet.label(i).slice(0, 12)
      const x = (this.screenX[slot] as number) + glyphSize + 3
      const y = this.screenY[slot] as number
      context.strokeText(label, x, y)
      context.fillText(label, x, y)
    }
  }

  private drawEmergencies(drawn: number, glyph: Glyph, glyphSize: number): void {
    const { context, fleet } = this
    const size = glyphSize * 1.6
    context.beginPath()
    let any = false
    for (let slot = 0; slot < drawn; slot++) {
      const i = this.drawnIndex[slot] as number
      if (fleet.emergency[i] === 1) {
        any = true
        this.tracePlane(slot, i, glyph, size)
      }
    }
    if (!any) {
      return
    }
    context.fillStyle = EMERGENCY_COLOR
    context.fill()
    context.beginPath()
    for (let slot = 0; slot < drawn; slot++) {
      const i = this.drawnIndex[slot] as number
      if (fleet.emergency[i] === 1) {
        const x = this.screenX[slot] as number
        const y = this.screenY[slot] as number
        context.moveTo(x + size * 1.8, y)
        context.arc(x, y, size * 1.8, 0, Math.PI * 2)
      }
    }
    context.strokeStyle = EMERGENCY_COLOR
    context.lineWidth = 2
    context.stroke()
    context.font = 'bold 11px system-ui, sans-serif'
    context.fillStyle = EMERGENCY_COLOR
    for (let slot = 0; slot < drawn; slot++) {
      const i = this.drawnIndex[slot] as number
      if (fleet.emergency[i] === 1) {
        context.fillText(
          fleet.squawk[i] ?? '',
          (this.screenX[slot] as number) - size,
          (this.screenY[slot] as number) + size * 2.8
        )
      }
    }
  }

  private drawSelected(glyph: Glyph, glyphSize: number): void {
    if (this.selected < 0) {
      return
    }
    const position = this.containerPosition(this.selected)
    if (!position) {
      return
    }
    const { context } = this
    const slot = this.slotOf(this.selected)
    context.beginPath()
    this.tracePlane(slot, this.selected, glyph, glyphSize * 1.4)
    context.fillStyle = SELECTED_COLOR
    context.fill()
    context.beginPath()
    context.arc(position.x, position.y, glyphSize * 2.4, 0, Math.PI * 2)
    context.strokeStyle = SELECTED_COLOR
    context.lineWidth = 2
    context.stroke()
  }

  private slotOf(index: number): number {
    for (let slot = 0; slot < this.drawn; slot++) {
      if (this.drawnIndex[slot] === index) {
        return slot
      }
    }
    return -1
  }

  private buildGrid(width: number, height: number, drawn: number): void {
    this.columns = Math.max(1, Math.ceil(width / CELL))
    this.rows = Math.max(1, Math.ceil(height / CELL))
    const cells = this.columns * this.rows
    if (this.cellStart.length !== cells + 1) {
      this.cellStart = new Int32Array(cells + 1)
    } else {
      this.cellStart.fill(0)
    }
    if (this.cellItems.length < drawn) {
      this.cellItems = new Int32Array(this.screenX.length)
    }
    const cellOf = new Int32Array(drawn)
    for (let slot = 0; slot < drawn; slot++) {
      const c = Math.min(
        this.columns - 1,
        Math.max(0, Math.floor((this.screenX[slot] as number) / CELL))
      )
      const r = Math.min(
        this.rows - 1,
        Math.max(0, Math.floor((this.screenY[slot] as number) / CELL))
      )
      const cell = r * this.columns + c
      cellOf[slot] = cell
      this.cellStart[cell + 1] = (this.cellStart[cell + 1] as number) + 1
    }
    for (let cell = 0; cell < cells; cell++) {
      this.cellStart[cell + 1] =
        (this.cellStart[cell + 1] as number) + (this.cellStart[cell] as number)
    }
    const fill = this.cellStart.slice(0, cells)
    for (let slot = 0; slot < drawn; slot++) {
      const cell = cellOf[slot] as number
      this.cellItems[fill[cell] as number] = slot
      fill[cell] = (fill[cell] as number) + 1
    }
  }
}
