/** A glyph outline pointing north in unit coordinates (y down), rotated when drawn. */
export type Glyph = readonly (readonly [number, number])[]

/** Rotation steps per sprite sheet: 5°, finer than a glyph of a few pixels can show. */
export const ROTATIONS = 72

/**
 * Pre-rendered rotations of one glyph in one colour, kept sparse: for each rotation only the
 * pixels that are not transparent, as offsets from the glyph's centre and RGBA words
 * (little-endian ABGR, straight alpha, as ImageData holds them).
 */
export interface SpriteSheet {
  /** Pixels of rotation r are entries start[r] to start[r + 1] - 1. */
  start: Int32Array
  dx: Int16Array
  dy: Int16Array
  color: Uint32Array
}

/**
 * Sprite sheets, rendered once per glyph, size, colour and pixel ratio with the canvas API and
 * then read back as pixels, so that drawing an aircraft is a copy of a few hundred pixels.
 */
export class SpriteCache {
  private readonly sheets = new Map<string, SpriteSheet>()

  sheet(
    glyph: Glyph,
    glyphName: string,
    size: number,
    fill: string,
    stroke: string | null,
    ratio: number
  ): SpriteSheet {
    const key = `${glyphName}|${size}|${fill}|${stroke ?? ''}|${ratio}`
    let sheet = this.sheets.get(key)
    if (!sheet) {
      sheet = renderSheet(glyph, size, fill, stroke, ratio)
      this.sheets.set(key, sheet)
    }
    return sheet
  }
}

function renderSheet(
  glyph: Glyph,
  size: number,
  fill: string,
  stroke: string | null,
  ratio: number
): SpriteSheet {
  const cell = Math.ceil((size * 2 + 4) * ratio)
  const width = cell * ROTATIONS
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = cell
  const context = canvas.getContext('2d', { willReadFrequently: true })
  if (!context) {
    throw new Error('this browser has no 2D canvas')
  }
  for (let r = 0; r < ROTATIONS; r++) {
    context.setTransform(ratio, 0, 0, ratio, r * cell + cell / 2, cell / 2)
    context.rotate((r / ROTATIONS) * Math.PI * 2)
    context.beginPath()
    glyph.forEach(([x, y], v) => {
      if (v === 0) {
        context.moveTo(x * size, y * size)
      } else {
        context.lineTo(x * size, y * size)
      }
    })
    context.closePath()
    context.fillStyle = fill
    context.fill()
    if (stroke) {
      context.lineWidth = 1
      context.strokeStyle = stroke
      context.stroke()
    }
  }
  const pixels = new Uint32Array(context.getImageData(0, 0, width, cell).data.buffer)
  const start = new Int32Array(ROTATIONS + 1)
  const dx: number[] = []
  const dy: number[] = []
  const color: number[] = []
  const half = cell >> 1
  for (let r = 0; r < ROTATIONS; r++) {
    start[r] = color.length
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const pixel = pixels[y * width + r * cell + x] as number
        if (pixel >>> 24 !== 0) {
          dx.push(x - half)
          dy.push(y - half)
          color.push(pixel)
        }
      }
    }
  }
  start[ROTATIONS] = color.length
  return {
    start,
    dx: Int16Array.from(dx),
    dy: Int16Array.from(dy),
    color: Uint32Array.from(color),
  }
}

/** Sprite index of a heading in degrees (NaN draws as north). */
export function rotationIndex(heading: number): number {
  if (Number.isNaN(heading)) {
    return 0
  }
  const step = Math.round((heading / 360) * ROTATIONS) % ROTATIONS
  return step < 0 ? step + ROTATIONS : step
}

/**
 * Writes one sprite into a frame buffer centred on (x, y), clipped to the frame, blending its
 * anti-aliased edges over what is already there.
 */
export function blitSprite(
  frame: Uint32Array,
  frameWidth: number,
  frameHeight: number,
  sheet: SpriteSheet,
  rotation: number,
  x: number,
  y: number
): void {
  const { start, dx, dy, color } = sheet
  const end = start[rotation + 1] as number
  for (let k = start[rotation] as number; k < end; k++) {
    const px = x + (dx[k] as number)
    const py = y + (dy[k] as number)
    if (px < 0 || py < 0 || px >= frameWidth || py >= frameHeight) {
      continue
    }
    const target = py * frameWidth + px
    const pixel = color[k] as number
    const alpha = pixel >>> 24
    const below = frame[target] as number
    if (alpha === 255 || below === 0) {
      frame[target] = pixel
      continue
    }
    // An edge pixel over another sprite: source-over, treating the pixel below as opaque
    // enough; exact straight-alpha blending costs a division per channel for no visible gain.
    const keep = 255 - alpha
    const red = ((pixel & 255) * alpha + (below & 255) * keep) / 255
    const green = (((pixel >>> 8) & 255) * alpha + ((below >>> 8) & 255) * keep) / 255
    const blue = (((pixel >>> 16) & 255) * alpha + ((below >>> 16) & 255) * keep) / 255
    const outAlpha = alpha + ((below >>> 24) * keep) / 255
    frame[target] = ((outAlpha << 24) | (blue << 16) | (green << 8) | red) >>> 0
  }
}
