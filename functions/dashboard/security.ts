import type { MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'

/**
 * The origin raster tiles come from, which the Content-Security-Policy must allow for images:
 * `https://{s}.tile.example.org/{z}/{x}/{y}.png` gives `https://*.tile.example.org`. Null when
 * the template's host is not a plain host name (nothing else may reach the CSP header).
 */
export function tileOrigin(tileUrl: string | null): string | null {
  const match = tileUrl
    ? /^(https?:\/\/)((?:\{s\}\.)?[A-Za-z0-9.-]+(?::\d+)?)\//.exec(tileUrl)
    : null
  if (!match) {
    return null
  }
  return `${match[1]}${match[2]?.replace('{s}', '*')}`
}

/**
 * Security headers for every response. The Content-Security-Policy allows scripts and styles from
 * this origin only (no inline script, no eval), fetches to this origin only, images from here,
 * data: URLs (Leaflet's inlined icons) and the tile origin when tiles are configured, and no
 * framing at all.
 */
export function securityHeaders(tileUrl: string | null): MiddlewareHandler {
  const tiles = tileOrigin(tileUrl)
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:', ...(tiles ? [tiles] : [])],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    crossOriginResourcePolicy: 'same-origin',
    crossOriginOpenerPolicy: 'same-origin',
    permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
  })
}
