// Units and wording for the page. OpenSky gives metres, km/h (after the processor) and m/s;
// pilots and controllers think in feet, knots and feet per minute, so both are shown.

const FEET_PER_METRE = 3.28084
const KNOTS_PER_KMH = 1 / 1.852

const integer = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 })
const oneDecimal = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 })

export function formatAltitude(metres: number | null): string {
  if (metres === null || !Number.isFinite(metres)) {
    return '–'
  }
  return `${integer.format(metres * FEET_PER_METRE)} ft (${integer.format(metres)} m)`
}

export function formatSpeed(kmh: number | null): string {
  if (kmh === null || !Number.isFinite(kmh)) {
    return '–'
  }
  return `${integer.format(kmh)} km/h (${integer.format(kmh * KNOTS_PER_KMH)} kt)`
}

export function formatHeading(degrees: number | null): string {
  if (degrees === null || !Number.isFinite(degrees)) {
    return '–'
  }
  return `${integer.format(degrees)}°`
}

export function formatVerticalRate(metresPerSecond: number | null): string {
  if (metresPerSecond === null || !Number.isFinite(metresPerSecond)) {
    return '–'
  }
  const sign = metresPerSecond > 0 ? '+' : ''
  const feetPerMinute = metresPerSecond * FEET_PER_METRE * 60
  return `${sign}${integer.format(feetPerMinute)} ft/min (${sign}${oneDecimal.format(metresPerSecond)} m/s)`
}

/** "12 s ago", "4 min ago", "3 h ago" */
export function formatAge(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '–'
  }
  const s = Math.max(0, Math.round(seconds))
  if (s < 120) {
    return `${s} s ago`
  }
  if (s < 2 * 3600) {
    return `${Math.round(s / 60)} min ago`
  }
  if (s < 2 * 86400) {
    return `${Math.round(s / 3600)} h ago`
  }
  return `${Math.round(s / 86400)} d ago`
}

export function secondsSince(iso: string, now = Date.now()): number {
  return (now - Date.parse(iso)) / 1000
}

/** "2026-05-01 12:00 UTC" */
export function formatUtc(iso: string | null): string {
  if (iso === null) {
    return '–'
  }
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) {
    return '–'
  }
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

export function formatCount(value: number): string {
  return integer.format(value)
}

/** `datetime-local` input value (read as UTC) to ISO 8601, or undefined when empty. */
export function utcInputToIso(value: string): string | undefined {
  if (value === '') {
    return undefined
  }
  return `${value.length === 16 ? `${value}:00` : value}Z`
}
