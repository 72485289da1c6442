// `npm run bench:dashboard`: how fast the dashboard serves and draws 20,000 live aircraft.
//
// Seeds 20,000 live aircraft (with their open flights) into a fresh database on the local
// PostgreSQL, then measures in one run:
//   - baseline: a bare `SELECT` of the same rows with node-postgres (what any endpoint pays at
//     least), and that SELECT plus JSON.stringify (a naive endpoint);
//   - GET /api/live through app.request() (the whole Hono app, no sharing cache), its size raw
//     and gzipped, and the shared-cache path many viewers take;
//   - in headless Chromium (when /usr/bin/chromium exists): the canvas draw of 20,000 aircraft,
//     frame intervals while panning, and the time to apply one update in the page.
// Prints a table and writes bench/results/dashboard.json. Talks to loopback only.
import { mkdir, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

import { serve } from '@hono/node-server'

import { createApp } from '../functions/dashboard/app.ts'
import { buildClientAssets } from '../functions/dashboard/client-build.ts'
import { loadConfig } from '../functions/dashboard/config.ts'
import { LIVE_ROW_SELECT } from '../shared/db/live-aircraft.ts'
import { migrate } from '../shared/db/migrate.ts'
import { createPool } from '../shared/db/pool.ts'
import { silentLogger } from '../shared/logger.ts'
import {
  adminQuery,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
} from '../tests/helpers/postgres-admin.ts'
import {
  makeAircraft,
  seedLiveAircraft,
  seedPipelineStatus,
} from '../tests/helpers/seed-dashboard.ts'

const AIRCRAFT = Number(process.env.BENCH_AIRCRAFT ?? 20_000)
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40)
const WARMUP = 5
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const TARGET_MS = 100

interface Summary {
  p50: number
  p95: number
  p99: number
  mean: number
  runs: number
}

function summarise(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN
  const round = (value: number) => Math.round(value * 100) / 100
  return {
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    runs: sorted.length,
  }
}

async function measure(run: () => Promise<unknown>, iterations = ITERATIONS): Promise<Summary> {
  for (let i = 0; i < WARMUP; i++) {
    await run()
  }
  const samples: number[] = []
  for (let i = 0; i < iterations; i++) {
    const started = performance.now()
    await run()
    samples.push(performance.now() - started)
  }
  return summarise(samples)
}

const name = uniqueDatabaseName('skytrail_bench_dashboard')
const url = databaseUrl(name)
const loadBefore = loadavg()
await adminQuery(`CREATE DATABASE "${name}"`)
try {
  await migrate({ databaseUrl: url, logger: silentLogger })
  const writer = createPool(url, { applicationName: 'bench-seed', logger: silentLogger, max: 2 })
  const now = new Date()
  await seedLiveAircraft(writer, makeAircraft(AIRCRAFT, { now }))
  await seedPipelineStatus(writer, [{ stream: 'partition-0', lastDataTime: now, lastWriteAt: now }])
  await writer.query('VACUUM ANALYZE')
  await writer.end()

  const pool = createPool(url, {
    applicationName: 'bench-dashboard',
    logger: silentLogger,
    max: 4,
    readOnly: true,
  })
  const results: Record<string, unknown> = {}

  const compactColumns = `icao24, callsign, origin_country, lat, lon, altitude, velocity_kmh, heading, on_ground, squawk`
  results.baselineSelect = await measure(() =>
    pool.query(`SELECT ${compactColumns} FROM live_flights`)
  )
  results.baselineSelectAllColumns = await measure(() =>
    pool.query(`SELECT ${LIVE_ROW_SELECT} FROM live_flights`)
  )
  results.baselineSelectStringify = await measure(async () =>
    JSON.stringify((await pool.query(`SELECT ${LIVE_ROW_SELECT} FROM live_flights`)).rows)
  )

  const uncached = createApp({
    config: loadConfig({ DATABASE_URL: url, DASHBOARD_LIVE_CACHE_MS: '0' }),
    logger: silentLogger,
    pool,
    assets: { js: '', css: '', world: '' },
  })
  let rawBytes = 0
  results.apiLive = await measure(async () => {
    const res = await uncached.request('/api/live')
    rawBytes = (await res.arrayBuffer()).byteLength
  })
  let gzipBytes = 0
  results.apiLiveGzip = await measure(
    async () => {
      const res = await uncached.request('/api/live', { headers: { 'Accept-Encoding': 'gzip' } })
      gzipBytes = (await res.arrayBuffer()).byteLength
    },
    Math.ceil(ITERATIONS / 2)
  )
  const naiveGzipBytes = gzipSync(
    JSON.stringify((await pool.query(`SELECT ${LIVE_ROW_SELECT} FROM live_flights`)).rows)
  ).byteLength
  const naiveBytes = Buffer.byteLength(
    JSON.stringify((await pool.query(`SELECT ${LIVE_ROW_SELECT} FROM live_flights`)).rows)
  )

  const cached = createApp({
    config: loadConfig({ DATABASE_URL: url }),
    logger: silentLogger,
    pool,
    assets: { js: '', css: '', world: '' },
  })
  results.apiLiveSharedCache = await measure(async () => {
    await (await cached.request('/api/live')).arrayBuffer()
  })
  const first = await uncached.request('/api/live')
  const etag = first.headers.get('ETag') ?? ''
  results.apiLiveNotModified = await measure(async () => {
    await uncached.request('/api/live', { headers: { 'If-None-Match': etag } })
  })

  const page = await measurePage(url, pool)
  const apiLive = results.apiLive as Summary
  const baseline = results.baselineSelect as Summary
  const report = {
    benchmark: 'dashboard',
    time: new Date().toISOString(),
    aircraft: AIRCRAFT,
    iterations: ITERATIONS,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
    },
    targetServerMs: TARGET_MS,
    serverMs: results,
    ratioApiLiveToBaselineSelectP50: Math.round((apiLive.p50 / baseline.p50) * 100) / 100,
    bytes: {
      apiLive: rawBytes,
      apiLiveGzip: gzipBytes,
      naiveRowsJson: naiveBytes,
      naiveRowsJsonGzip: naiveGzipBytes,
    },
    browser: page,
  }
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true })
  await writeFile(
    join(import.meta.dirname, 'results', 'dashboard.json'),
    `${JSON.stringify(report, null, 2)}\n`
  )
  await pool.end()

  const rows: [string, string, string, string][] = [['measure', 'p50 ms', 'p95 ms', 'p99 ms']]
  for (const [key, value] of Object.entries(results)) {
    const summary = value as Summary
    rows.push([key, String(summary.p50), String(summary.p95), String(summary.p99)])
  }
  if (page.available) {
    rows.push([
      'browser draw 20k (rasterised)',
      String(page.draw.p50),
      String(page.draw.p95),
      String(page.draw.p99),
    ])
    rows.push([
      'browser frame interval, mouse drag',
      String(page.panFrame.p50),
      String(page.panFrame.p95),
      String(page.panFrame.p99),
    ])
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  for (const row of rows) {
    console.warn(
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)
        )
        .join('  ')
    )
  }
  console.warn(
    `/api/live: ${AIRCRAFT} aircraft, ${rawBytes} bytes (${gzipBytes} gzipped), p50 ${apiLive.p50} ms = ${report.ratioApiLiveToBaselineSelectP50} x bare SELECT; target < ${TARGET_MS} ms`
  )
  if (page.available) {
    console.warn(
      `page: an update of ${AIRCRAFT} aircraft takes p50 ${page.updateFetchAndParse.p50} ms to download and parse, then ${page.updateApply.p50} ms to decode, redraw and re-sort the list`
    )
  } else {
    console.warn(`page: not measured (${page.reason})`)
  }
  console.warn(
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  )
  console.warn('written bench/results/dashboard.json')
} finally {
  await dropDatabase(name)
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

async function measurePage(url: string, pool: ReturnType<typeof createPool>): Promise<PageResult> {
  const { existsSync } = await import('node:fs')
  if (!existsSync(CHROMIUM)) {
    return { available: false, reason: `no Chromium at ${CHROMIUM}` }
  }
  const { chromium } = await import('playwright-core')
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
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
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
      ITERATIONS
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
      draw: summarise(draws),
      panFrame: summarise(pan),
      updateFetchAndParse: summarise(updates.map((u) => u.fetchMs)),
      updateApply: summarise(updates.map((u) => u.applyMs)),
    }
  } finally {
    await browser.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
