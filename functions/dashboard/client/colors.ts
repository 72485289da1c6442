/** Altitude bands (metres, lower bound) and their colours, low = warm, high = cool. */
export const ALTITUDE_BANDS: readonly { from: number; color: string; label: string }[] = [
  { from: -Infinity, color: '#f2a33a', label: '< 500 m' },
  { from: 500, color: '#e8c440', label: '500 m' },
  { from: 1500, color: '#b5d43c', label: '1,500 m' },
  { from: 3000, color: '#5cc85a', label: '3,000 m' },
  { from: 5000, color: '#38bfa7', label: '5,000 m' },
  { from: 7000, color: '#3aa4e0', label: '7,000 m' },
  { from: 9000, color: '#5577ee', label: '9,000 m' },
  { from: 11000, color: '#9a5cf0', label: '11,000 m' },
  { from: 13000, color: '#d35ce0', label: '13,000 m' },
]

export const UNKNOWN_ALTITUDE_COLOR = '#9aa3ad'
export const GROUND_COLOR = '#7b8590'
export const EMERGENCY_COLOR = '#ff2d2d'
export const SELECTED_COLOR = '#ffffff'

/** Index into ALTITUDE_BANDS, or -1 for an unknown altitude. */
export function altitudeBand(metres: number): number {
  if (Number.isNaN(metres)) {
    return -1
  }
  let band = 0
  while (
    band + 1 < ALTITUDE_BANDS.length &&
    metres >= (ALTITUDE_BANDS[band + 1]?.from ?? Infinity)
  ) {
    band++
  }
  return band
}
