import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'

import type { Context } from 'hono'
import { Hono } from 'hono'

import { MAX_CALLSIGN_LENGTH } from '../../shared/opensky/state-vector.ts'
import type { ClientAssets } from './client-assets.ts'
import type { DashboardConfig } from './config.ts'
import { acceptsGzip, etagMatches } from './encoding.ts'

export type PageConfig = Pick<
  DashboardConfig,
  'refreshSeconds' | 'staleSeconds' | 'tileUrl' | 'tileAttribution'
>

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text safe inside HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char)
}

function renderPage(config: PageConfig, version: Record<'js' | 'css' | 'world', string>): string {
  const data: Record<string, string> = {
    'refresh-seconds': String(config.refreshSeconds),
    'stale-seconds': String(config.staleSeconds),
  }
  if (config.tileUrl) {
    data['tile-url'] = config.tileUrl
    data['tile-attribution'] = config.tileAttribution ?? ''
  }
  const attributes = Object.entries(data)
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Skytrail: live flights</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css?v=${version.css}">
<script type="module" src="/assets/app.js?v=${version.js}"></script>
</head>
<body${attributes} data-world-version="${version.world}">
<header class="topbar">
  <h1>Skytrail</h1>
  <div id="summary" class="summary" aria-live="polite">Loading…</div>
</header>
<main class="layout">
  <aside class="sidebar">
    <nav class="tabs" role="tablist">
      <button type="button" role="tab" data-tab="aircraft" aria-selected="true">Aircraft</button>
      <button type="button" role="tab" data-tab="flights" aria-selected="false">Flights</button>
      <button type="button" role="tab" data-tab="status" aria-selected="false">Status</button>
    </nav>
    <section id="tab-aircraft" class="tab-panel" role="tabpanel">
      <div class="controls">
        <input id="aircraft-filter" type="search" placeholder="Callsign, ICAO24, country, squawk" aria-label="Filter aircraft" autocomplete="off">
        <select id="aircraft-sort" aria-label="Sort aircraft">
          <option value="callsign">Callsign</option>
          <option value="altitude">Altitude</option>
          <option value="speed">Speed</option>
          <option value="country">Country</option>
          <option value="icao24">ICAO24</option>
        </select>
      </div>
      <div id="aircraft-count" class="muted"></div>
      <div id="aircraft-list" class="vlist" role="listbox" tabindex="0" aria-label="Aircraft"></div>
    </section>
    <section id="tab-flights" class="tab-panel" role="tabpanel" hidden>
      <form id="flight-search" class="search-form">
        <label>Callsign <input name="callsign" maxlength="${MAX_CALLSIGN_LENGTH}" autocomplete="off" placeholder="DLH4"></label>
        <label>ICAO24 <input name="icao24" maxlength="6" autocomplete="off" placeholder="3c6703"></label>
        <label>From (UTC) <input name="from" type="datetime-local"></label>
        <label>To (UTC) <input name="to" type="datetime-local"></label>
        <button type="submit">Search</button>
      </form>
      <div id="flight-error" class="error" role="alert"></div>
      <ol id="flight-results" class="results"></ol>
      <button id="flight-more" type="button" hidden>More</button>
    </section>
    <section id="tab-status" class="tab-panel" role="tabpanel" hidden>
      <dl id="status-panel" class="status"></dl>
      <h2>Active alerts</h2>
      <ul id="status-alerts" class="alerts"></ul>
    </section>
  </aside>
  <div class="map-wrap">
    <div id="map" aria-label="Map of live aircraft"></div>
    <section id="details" class="details" hidden aria-live="polite">
      <button type="button" id="details-close" class="close" aria-label="Close">×</button>
      <h2 id="details-title"></h2>
      <dl id="details-fields"></dl>
      <p id="details-track" class="muted"></p>
    </section>
    <div id="legend" class="legend"></div>
  </div>
</main>
</body>
</html>
`
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16)
}

/**
 * `GET /` (the page) and the client bundle at `/assets/app.js` and `/assets/app.css`. The page
 * links the assets with a content hash, so they can be cached for a year; any other URL of an
 * asset must be revalidated (its ETag is the same hash).
 */
export function pageRoutes(config: PageConfig, assets: ClientAssets): Hono {
  const version = {
    js: shortHash(assets.js),
    css: shortHash(assets.css),
    world: shortHash(assets.world),
  }
  const html = renderPage(config, version)
  const routes = new Hono()

  routes.get('/', (c) => {
    c.header('Cache-Control', 'no-cache')
    return c.html(html)
  })

  // Compressed once here rather than on every request: the outlines alone are 750 KB.
  const assetFiles = {
    js: { body: assets.js, type: 'text/javascript; charset=utf-8' },
    css: { body: assets.css, type: 'text/css; charset=utf-8' },
    world: { body: assets.world, type: 'application/json; charset=utf-8' },
  }
  const gzipped = {
    js: gzipSync(assets.js),
    css: gzipSync(assets.css),
    world: gzipSync(assets.world),
  }
  const serveAsset = (c: Context, name: keyof typeof assetFiles) => {
    const { body, type } = assetFiles[name]
    const hash = version[name]
    const etag = `"${hash}"`
    c.header('ETag', etag)
    c.header('Vary', 'Accept-Encoding')
    c.header(
      'Cache-Control',
      c.req.query('v') === hash ? 'public, max-age=31536000, immutable' : 'no-cache'
    )
    if (etagMatches(c.req.header('If-None-Match'), etag)) {
      return c.body(null, 304)
    }
    c.header('Content-Type', type)
    if (acceptsGzip(c.req.header('Accept-Encoding'))) {
      c.header('Content-Encoding', 'gzip')
      return c.body(new Uint8Array(gzipped[name]))
    }
    return c.body(body)
  }
  routes.get('/assets/app.js', (c) => serveAsset(c, 'js'))
  routes.get('/assets/app.css', (c) => serveAsset(c, 'css'))
  routes.get('/assets/world.json', (c) => serveAsset(c, 'world'))
  return routes
}
