import type { Geometry, Position } from 'geojson'
import * as L from 'leaflet'
import { feature } from 'topojson-client'
import type { GeometryCollection, Topology } from 'topojson-specification'

export interface BaseMapOptions {
  tileUrl: string | null
  /** Content hash of the outlines: the versioned URL is cached for a year. */
  worldVersion: string
}

/**
 * The base map. Country outlines from Natural Earth (the world-atlas package, served by this
 * function as /assets/world.json) are always drawn, offline, on a canvas. Raster tiles are
 * added above them only when DASHBOARD_TILE_URL is configured; where a tile cannot be fetched,
 * the outlines show through.
 */
export async function addBaseMap(map: L.Map, options: BaseMapOptions): Promise<void> {
  const outlinePane = map.createPane('outlines')
  outlinePane.style.zIndex = '150'
  if (options.tileUrl) {
    L.tileLayer(options.tileUrl, { maxZoom: 18, crossOrigin: false }).addTo(map)
  }
  const response = await fetch(`/assets/world.json?v=${encodeURIComponent(options.worldVersion)}`)
  if (!response.ok) {
    throw new Error(`world outlines: HTTP ${response.status}`)
  }
  const topology = (await response.json()) as Topology<{ countries: GeometryCollection }>
  const countries = feature(topology, topology.objects.countries)
  for (const country of countries.features) {
    unwrapAntimeridian(country.geometry)
  }
  // With the map's preferCanvas, Leaflet gives this pane its own canvas renderer.
  L.geoJSON(countries, {
    pane: 'outlines',
    interactive: false,
    style: {
      color: '#3b5068',
      weight: 0.8,
      fillColor: '#1d2b3a',
      fillOpacity: 1,
    },
  }).addTo(map)
}

/**
 * Natural Earth rings that cross 180° (Russia, Fiji, Antarctica) jump from +180 to -180 between
 * two vertices; Leaflet would draw that jump as a line across the world. Unwrapping keeps each
 * ring continuous (longitudes beyond ±180), which Leaflet draws where it belongs.
 */
function unwrapAntimeridian(geometry: Geometry | null): void {
  const unwrapRing = (ring: Position[]) => {
    for (let k = 1; k < ring.length; k++) {
      const previous = ring[k - 1] as Position
      const point = ring[k] as Position
      const delta = (point[0] as number) - (previous[0] as number)
      if (delta > 180) {
        point[0] = (point[0] as number) - 360
      } else if (delta < -180) {
        point[0] = (point[0] as number) + 360
      }
    }
  }
  if (geometry?.type === 'Polygon') {
    geometry.coordinates.forEach(unwrapRing)
  } else if (geometry?.type === 'MultiPolygon') {
    geometry.coordinates.forEach((polygon) => polygon.forEach(unwrapRing))
  }
}
