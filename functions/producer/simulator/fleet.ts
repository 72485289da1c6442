/**
 * Who flies in the simulation: ICAO 24-bit address blocks per state of registry (OpenSky derives
 * `origin_country` from the address the same way), operators with their radio callsign prefix,
 * and the performance of each aircraft class.
 */

export interface AddressBlock {
  /** Country name as OpenSky writes it in `origin_country`. */
  country: string
  /** First address of the block. */
  start: number
  /** Block size; ICAO allocates power-of-two blocks. */
  size: number
}

// prettier-ignore
export const ADDRESS_BLOCKS = Object.freeze({
  germany: { country: 'Germany', start: 0x3c0000, size: 0x40000 },
  austria: { country: 'Austria', start: 0x440000, size: 0x8000 },
  switzerland: { country: 'Switzerland', start: 0x4b0000, size: 0x8000 },
  france: { country: 'France', start: 0x380000, size: 0x40000 },
  italy: { country: 'Italy', start: 0x300000, size: 0x40000 },
  netherlands: { country: 'Kingdom of the Netherlands', start: 0x480000, size: 0x8000 },
  belgium: { country: 'Belgium', start: 0x448000, size: 0x8000 },
  luxembourg: { country: 'Luxembourg', start: 0x4d0000, size: 0x400 },
  unitedKingdom: { country: 'United Kingdom', start: 0x400000, size: 0x40000 },
  ireland: { country: 'Ireland', start: 0x4ca000, size: 0x1000 },
  malta: { country: 'Malta', start: 0x4d2000, size: 0x400 },
  hungary: { country: 'Hungary', start: 0x470000, size: 0x8000 },
  poland: { country: 'Poland', start: 0x488000, size: 0x8000 },
  czechia: { country: 'Czech Republic', start: 0x498000, size: 0x8000 },
  denmark: { country: 'Denmark', start: 0x458000, size: 0x8000 },
  spain: { country: 'Spain', start: 0x340000, size: 0x40000 },
  portugal: { country: 'Portugal', start: 0x490000, size: 0x8000 },
} satisfies Record<string, AddressBlock>)

export type AddressBlockName = keyof typeof ADDRESS_BLOCKS

/**
 * Aircraft classes by performance. Speeds are over ground in m/s (no wind), altitudes in metres,
 * rates in m/s. `categories` are the ADS-B emitter categories OpenSky reports with `extended=1`.
 */
export interface AircraftClass {
  name: string
  /** OpenSky category: 2 light, 3 small, 4 large, 5 high-vortex large, 6 heavy. */
  category: number
  taxiSpeed: [number, number]
  liftoffSpeed: [number, number]
  cruiseSpeed: [number, number]
  cruiseAltitude: [number, number]
  climbRate: [number, number]
  descentRate: [number, number]
  approachSpeed: [number, number]
  /** Route length in metres this class flies. */
  routeLength: [number, number]
}

// prettier-ignore
export const AIRCRAFT_CLASSES = Object.freeze({
  narrowbody: { name: 'narrowbody jet', category: 4, taxiSpeed: [4, 10], liftoffSpeed: [74, 84], cruiseSpeed: [215, 250], cruiseAltitude: [9_750, 11_900], climbRate: [9, 14], descentRate: [6.5, 9.5], approachSpeed: [68, 78], routeLength: [180_000, 1_600_000] },
  widebody: { name: 'widebody jet', category: 6, taxiSpeed: [4, 9], liftoffSpeed: [80, 90], cruiseSpeed: [235, 262], cruiseAltitude: [10_350, 12_200], climbRate: [8, 12], descentRate: [6, 9], approachSpeed: [72, 80], routeLength: [350_000, 1_600_000] },
  freighter757: { name: 'B757 freighter', category: 5, taxiSpeed: [4, 9], liftoffSpeed: [76, 84], cruiseSpeed: [220, 245], cruiseAltitude: [9_750, 11_300], climbRate: [10, 15], descentRate: [7, 9.5], approachSpeed: [68, 76], routeLength: [250_000, 1_600_000] },
  regionalJet: { name: 'regional jet', category: 4, taxiSpeed: [4, 10], liftoffSpeed: [70, 80], cruiseSpeed: [205, 235], cruiseAltitude: [8_500, 11_300], climbRate: [10, 15], descentRate: [7, 10], approachSpeed: [66, 74], routeLength: [150_000, 1_100_000] },
  turboprop: { name: 'turboprop', category: 3, taxiSpeed: [3, 8], liftoffSpeed: [52, 60], cruiseSpeed: [130, 150], cruiseAltitude: [5_200, 7_600], climbRate: [6, 9], descentRate: [5, 7.5], approachSpeed: [55, 62], routeLength: [100_000, 700_000] },
  businessJet: { name: 'business jet', category: 3, taxiSpeed: [4, 10], liftoffSpeed: [62, 70], cruiseSpeed: [210, 240], cruiseAltitude: [11_300, 13_100], climbRate: [14, 20], descentRate: [8, 11], approachSpeed: [58, 66], routeLength: [150_000, 1_600_000] },
  light: { name: 'light aircraft', category: 2, taxiSpeed: [2, 6], liftoffSpeed: [28, 33], cruiseSpeed: [50, 72], cruiseAltitude: [900, 2_700], climbRate: [2.5, 4], descentRate: [2.5, 4], approachSpeed: [30, 36], routeLength: [40_000, 350_000] },
} satisfies Record<string, AircraftClass>)

export type AircraftClassName = keyof typeof AIRCRAFT_CLASSES

export interface Operator {
  /** ICAO airline designator used as callsign prefix; null for private aircraft (registration). */
  designator: string | null
  registry: AddressBlockName
  /** Registration prefix for private aircraft callsigns, e.g. `DE` for D-EXXX. */
  registrationPrefix?: string
  /** Relative share of the traffic. */
  weight: number
  classes: readonly AircraftClassName[]
}

// prettier-ignore
export const OPERATORS: readonly Operator[] = Object.freeze([
  { designator: 'DLH', registry: 'germany', weight: 16, classes: ['narrowbody', 'narrowbody', 'narrowbody', 'widebody'] },
  { designator: 'CLH', registry: 'germany', weight: 4, classes: ['regionalJet'] },
  { designator: 'EWG', registry: 'germany', weight: 8, classes: ['narrowbody'] },
  { designator: 'CFG', registry: 'germany', weight: 3, classes: ['narrowbody', 'narrowbody', 'widebody'] },
  { designator: 'TUI', registry: 'germany', weight: 2, classes: ['narrowbody'] },
  { designator: 'BCS', registry: 'germany', weight: 2, classes: ['freighter757', 'narrowbody'] },
  { designator: 'AUA', registry: 'austria', weight: 6, classes: ['narrowbody', 'narrowbody', 'regionalJet'] },
  { designator: 'EJU', registry: 'austria', weight: 4, classes: ['narrowbody'] },
  { designator: 'SWR', registry: 'switzerland', weight: 7, classes: ['narrowbody', 'narrowbody', 'narrowbody', 'widebody'] },
  { designator: 'EZS', registry: 'switzerland', weight: 3, classes: ['narrowbody'] },
  { designator: 'EDW', registry: 'switzerland', weight: 2, classes: ['narrowbody'] },
  { designator: 'RYR', registry: 'ireland', weight: 7, classes: ['narrowbody'] },
  { designator: 'LDM', registry: 'malta', weight: 2, classes: ['narrowbody'] },
  { designator: 'WZZ', registry: 'hungary', weight: 4, classes: ['narrowbody'] },
  { designator: 'KLM', registry: 'netherlands', weight: 4, classes: ['narrowbody', 'regionalJet'] },
  { designator: 'AFR', registry: 'france', weight: 3, classes: ['narrowbody'] },
  { designator: 'BAW', registry: 'unitedKingdom', weight: 3, classes: ['narrowbody'] },
  { designator: 'LOT', registry: 'poland', weight: 2, classes: ['narrowbody', 'turboprop'] },
  { designator: 'CSA', registry: 'czechia', weight: 1, classes: ['narrowbody'] },
  { designator: 'BEL', registry: 'belgium', weight: 2, classes: ['narrowbody'] },
  { designator: 'LGL', registry: 'luxembourg', weight: 1, classes: ['turboprop', 'narrowbody'] },
  { designator: 'ITY', registry: 'italy', weight: 1, classes: ['narrowbody'] },
  { designator: 'SAS', registry: 'denmark', weight: 2, classes: ['narrowbody'] },
  { designator: 'NJE', registry: 'portugal', weight: 2, classes: ['businessJet'] },
  { designator: 'VJT', registry: 'malta', weight: 1, classes: ['businessJet'] },
  { designator: null, registry: 'germany', registrationPrefix: 'DE', weight: 4, classes: ['light'] },
  { designator: null, registry: 'austria', registrationPrefix: 'OE', weight: 1, classes: ['light'] },
  { designator: null, registry: 'switzerland', registrationPrefix: 'HB', weight: 1, classes: ['light'] },
])
