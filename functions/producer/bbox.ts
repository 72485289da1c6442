/** An OpenSky bounding box in WGS-84 degrees, as the `lamin, lomin, lamax, lomax` parameters. */
export interface BoundingBox {
  lamin: number
  lomin: number
  lamax: number
  lomax: number
}

/** Germany, Austria and Switzerland (lat 45.8 to 55.1, lon 5.9 to 17.2): 105.1 square degrees. */
export const DACH_BBOX: BoundingBox = Object.freeze({
  lamin: 45.8,
  lomin: 5.9,
  lamax: 55.1,
  lomax: 17.2,
})

/** Parses `lamin,lomin,lamax,lomax`; throws a message naming the problem. */
export function parseBoundingBox(text: string): BoundingBox {
  const parts = text.split(',').map((part) => part.trim())
  if (parts.length !== 4 || parts.some((part) => part === '' || !Number.isFinite(Number(part)))) {
    throw new Error('must be four numbers: lamin,lomin,lamax,lomax')
  }
  const [lamin, lomin, lamax, lomax] = parts.map(Number) as [number, number, number, number]
  if (lamin < -90 || lamax > 90 || lomin < -180 || lomax > 180) {
    throw new Error('latitudes must lie in -90..90 and longitudes in -180..180')
  }
  if (lamin >= lamax || lomin >= lomax) {
    throw new Error('lamin must be below lamax and lomin below lomax')
  }
  return Object.freeze({ lamin, lomin, lamax, lomax })
}

/** `lamin,lomin,lamax,lomax` with the shortest exact decimals. */
export function formatBoundingBox(box: BoundingBox): string {
  return [box.lamin, box.lomin, box.lamax, box.lomax].join(',')
}

/** Area in square degrees, the measure OpenSky prices a request by. */
export function boundingBoxArea(box: BoundingBox): number {
  return (box.lamax - box.lamin) * (box.lomax - box.lomin)
}

export function containsPosition(box: BoundingBox, lat: number, lon: number): boolean {
  return lat >= box.lamin && lat <= box.lamax && lon >= box.lomin && lon <= box.lomax
}
