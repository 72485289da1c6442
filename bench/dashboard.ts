// `npm run bench:dashboard`: how fast the dashboard serves and draws 20,000 live aircraft.
//
// Seeds 20,000 live aircraft (with their open flights) into a fresh database on the local
// PostgreSQL, then measures in one run, round-robin so drift hits every measure alike:
//   - baseline: a bare `SELECT` of the same rows and columns with node-postgres (what any
//     endpoint pays at least), and a naive endpoint (every column as objects, JSON.stringify);
//   - GET /api/live through app.request() (the whole Hono app, without the sharing cache), plain
//     and gzipped, a 304 revalidation, and the shared-cache path of many viewers;
//   - in headless Chromium (when /usr/bin/chromium exists): the canvas draw of 20,000 aircraft,
//     frame intervals during a mouse drag, and the time to download and apply a full update.
// Prints a table and writes bench/results/dashboard.json. Talks to loopback only.
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { gzipSync } from 'node:zlib'

import { serve } from '@hono/node-server'
import type pg from 'pg'

import { createApp } from '../functions/dashboard/app.ts'
import { buildClientAssets } from '../functions/dashboard/client-build.ts'
import { loadConfig } from '../functions/dashboard/config.ts'
import { LIVE_ROW_SELECT } from '../shared/db/live-aircraft.ts'
import { createPool } from '../shared/db/pool.ts'
import { silentLogger } from '../shared/logger.ts'
import { CHROMIUM_PATH, launchChromium } from '../tests/helpers/chromium.ts'
import {
  makeAircraft,
  seedLiveAircraft,
  seedPipelineStatus,
} from '../tests/helpers/seed-dashboard.ts'
import { freshDatabase, machine, summarize, table, writeResult } from './lib.ts'

const AIRCRAFT = Number(process.env.BENCH_AIRCRAFT ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40)
const WARMUP = 5
const TARGET_MS = 100
const NO_ASSETS = { js: '', css: '', world: '' }

type Summary = ReturnType<typeof summarize>

/**
 * Runs every measure once per round, in turn, so that load from elsewhere on the machine (and
 * there is some: 2 cores shared with PostgreSQL) hits all of them alike; returns a summary each.
 */
async function roundRobin(
  measures: Record<string, () => unknown>
): Promise<Record<string, Summary>> {
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(measures).map((name) => [name, []])
  )
  for (let round = -WARMUP; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(measures)) {
      const started = performance.now()
      await run()
      if (round >= 0) {
        samples[name]!.push(performance.now() - started)
      }
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [name, summarize(values)])
  )
}

const loadBefore = loadavg()
const database = await freshDatabase('skytrail_bench_dashboard')
try {
  const now = new Date()
  await seedLiveAircraft(database.pool, makeAircraft(AIRCRAFT, { now }))
  await seedPipelineStatus(database.pool, [
    { stream: 'partition-0', lastDataTime: now, lastWriteAt: now },
  ])
  await database.pool.query('VACUUM ANALYZE')

  const pool = createPool(database.url, {
    applicationName: 'bench-dashboard',
    logger: silentLogger,
    max: 4,
    readOnly: true,
  })
  const uncached = createApp({
    config: loadConfig({ DATABASE_URL: database.url, DASHBOARD_LIVE_CACHE_MS: '0' }),
    logger: silentLogger,
    pool,
    assets: NO_ASSETS,
  })
  const shared = createApp({
    config: loadConfig({ DATABASE_URL: database.url }),
    logger: silentLogger,
    pool,
    assets: NO_ASSETS,
  })
  const etag = (await uncached.request('/api/live')).headers.get('ETag') ?? ''
  const compactColumns = `icao24, callsign, origin_country, lat, lon, altitude, velocity_kmh, heading, on_ground, squawk`
  let rawBytes = 0
  let gzipBytes = 0

  const server = await roundRobin({
    // The floor: the same rows and columns, fetched and parsed by node-postgres, nothing else.
    baselineSelect: () => pool.query(`SELECT ${compactColumns} FROM live_flights`),
    // What a straightforward endpoint would do: every column, rows as objects, JSON.stringify.
    naiveEndpoint: async () =>
      JSON.stringify((await pool.query(`SELECT ${LIVE_ROW_SELECT} FROM live_flights`)).rows),
    apiLive: async () => {
      rawBytes = (await (await uncached.request('/api/live')).arrayBuffer()).byteLength
    },
    apiLiveGzip: async () => {
      const res = await uncached.request('/api/live', { headers: { 'Accept-Encoding': 'gzip' } })
      gzipBytes = (await res.arrayBuffer()).byteLength
    },
    apiLiveNotModified: () => uncached.request('/api/live', { headers: { 'If-None-Match': etag } }),
    // Ten viewers polling at once, with the default sharing: one query serves them all.
    apiLiveTenViewersShared: () =>
      Promise.all(
        Array.from({ length: 10 }, async () => (await shared.request('/api/live')).arrayBuffer())
      ),
  })
  const naiveJson = JSON.stringify(
    (await pool.query(`SELECT ${LIVE_ROW_SELECT} FROM live_flights`)).rows
  )

  const page = await measurePage(database.url, pool)
  await pool.end()

  const ratio = Math.round((server.apiLive!.p50 / server.baselineSelect!.p50) * 100) / 100
  const report = {
    benchmark: 'dashboard',
    time: new Date().toISOString(),
    aircraft: AIRCRAFT,
    rounds: ROUNDS,
    machine: { ...machine(), loadAverageBefore: loadBefore, loadAverageAfter: loadavg() },
    targetServerMs: TARGET_MS,
    serverMs: server,
    apiLiveP50OverBaselineSelectP50: ratio,
    bytes: {
      apiLive: rawBytes,
      apiLiveGzip: gzipBytes,
      naiveEndpoint: Buffer.byteLength(naiveJson),
      naiveEndpointGzip: gzipSync(naiveJson).byteLength,
    },
    browser: page,
  }
  const file = writeResult('dashboard', report)

  const rows = Object.entries(server).map(([measure, summary]) => ({
    measure,
    'p50 ms': summary.p50,
    'p95 ms': summary.p95,
    'p99 ms': summary.p99,
  }))
  if (page.available) {
    rows.push({
      measure: 'browser: draw 20k, rasterised',
      'p50 ms': page.draw.p50,
      'p95 ms': page.draw.p95,
      'p99 ms': page.draw.p99,
    })
    rows.push({
      measure: 'browser: frame interval, mouse drag',
      'p50 ms': page.panFrame.p50,
      'p95 ms': page.panFrame.p95,
      'p99 ms': page.panFrame.p99,
    })
    rows.push({
      measure: 'browser: update download+parse',
      'p50 ms': page.updateFetchAndParse.p50,
      'p95 ms': page.updateFetchAndParse.p95,
      'p99 ms': page.updateFetchAndParse.p99,
    })
    rows.push({
      measure: 'browser: update decode+draw+list',
      'p50 ms': page.updateApply.p50,
      'p95 ms': page.updateApply.p95,
      'p99 ms': page.updateApply.p99,
    })
  }
  console.warn(table(rows))
  console.warn(
    `\n/api/live, ${AIRCRAFT} aircraft: ${rawBytes} bytes (${gzipBytes} gzipped; a naive endpoint: ${report.bytes.naiveEndpoint}), p50 ${server.apiLive!.p50.toFixed(1)} ms = ${ratio} x the bare SELECT; target < ${TARGET_MS} ms`
  )
  if (!page.available) {
    console.warn(`browser: not measured (${page.reason})`)
  }
  console.warn(
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; written ${file}`
  )
} finally {
  await database.drop()
}

type PageResult =
  | { available: false; reason: string }
  | {
      available: true
      viewport: { width: number; height: number }
      drawn: number
      draw: Summary
      panFrame: Summary
      updateFetchAndParse: Summary
      updateApply: Summary
    }

async function measurePage(url: string, pool: pg.Pool): Promise<PageResult> {
  if (!existsSync(CHROMIUM_PATH)) {
    return { available: false, reason: `no Chromium at ${CHROMIUM_PATH}` }
  }
  const app = createApp({
    config: loadConfig({ DATABASE_URL: url, DASHBOARD_REFRESH_SECONDS: '2' }),
    logger: silentLogger,
    pool,
    assets: await buildClientAssets(),
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started)
    )
  })
  const browser = await launchChromium()
  try {
    const viewport = { width: 1400, height: 850 }
    const page = await browser.newPage({ viewport })
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(
      (count) => window.skytrailDebug?.aircraftCount() === count,
      AIRCRAFT,
      { timeout: 60_000 }
    )
    const drawn = await page.evaluate(() => window.skytrailDebug?.drawnCount() ?? 0)
    await page.evaluate(() => window.skytrailDebug!.measureDraws(5))
    const draws = await page.evaluate(
      (frames) => window.skytrailDebug!.measureDraws(frames),
      ROUNDS
    )
    // Steady state: the page re-fetches and applies all 20,000 aircraft, as after a data change.
    const updates = []
    for (let i = 0; i < 5; i++) {
      updates.push(await page.evaluate(() => window.skytrailDebug!.reload()))
    }
    // A real drag with the mouse across the map while the page records its frame intervals.
    const frames = page.evaluate((ms) => window.skytrailDebug!.recordFrames(ms), 3000)
    await page.mouse.move(900, 450)
    await page.mouse.down()
    for (let step = 0; step < 4; step++) {
      await page.mouse.move(step % 2 === 0 ? 600 : 900, 450, { steps: 30 })
    }
    await page.mouse.up()
    const pan = await frames
    return {
      available: true,
      viewport,
      drawn,
      draw: summarize(draws),
      panFrame: summarize(pan),
      updateFetchAndParse: summarize(updates.map((u) => u.fetchMs)),
      updateApply: summarize(updates.map((u) => u.applyMs)),
    }
  } finally {
    await browser.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
