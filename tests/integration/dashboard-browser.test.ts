// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against
// the app served on loopback with a seeded database. Saves a screenshot to test-results/.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

import { serve } from '@hono/node-server'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createApp } from '../../functions/dashboard/app.ts'
import { buildClientAssets } from '../../functions/dashboard/client-build.ts'
import { loadConfig } from '../../functions/dashboard/config.ts'
import { createPool, type Pool } from '../../shared/db/pool.ts'
import { silentLogger } from '../../shared/logger.ts'
import { CHROMIUM_PATH, launchChromium } from '../helpers/chromium.ts'
import { useTestDatabase } from '../helpers/postgres.ts'
import {
  makeAircraft,
  makeEndedFlights,
  type SeedAircraft,
  seedFlights,
  seedLiveAircraft,
  seedPipelineStatus,
} from '../helpers/seed-dashboard.ts'

const ARTEFACTS = join(import.meta.dirname, '..', '..', 'test-results')
const EVIL_CALLSIGN = '<img src=x onerror=alert(1)>'
const AIRCRAFT = 400

const available = existsSync(CHROMIUM_PATH)
if (!available && process.env.CI !== 'true') {
  console.warn(
    `dashboard browser test skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`
  )
}

describe.skipIf(!available && process.env.CI !== 'true')('dashboard in headless Chromium', () => {
  const getDatabase = useTestDatabase()
  let pool: Pool
  let server: ReturnType<typeof serve>
  let origin: string
  let browser: Browser
  let page: Page
  let aircraft: SeedAircraft[]
  let evil: SeedAircraft
  const foreignRequests: string[] = []
  const problems: string[] = []

  beforeAll(async () => {
    const database = getDatabase()
    const now = new Date()
    aircraft = makeAircraft(AIRCRAFT, { now, seed: 11 })
    // Alone in the South Pacific, so a click on it cannot hit a neighbour.
    evil = aircraft[0] as SeedAircraft
    Object.assign(evil, {
      callsign: EVIL_CALLSIGN,
      lat: -40,
      lon: -140,
      onGround: false,
      altitude: 10000,
      heading: 45,
      squawk: '7700',
    })
    evil.route = [
      [-44, -145, Math.floor(now.getTime() / 1000) - 900],
      [-43, -143.5, Math.floor(now.getTime() / 1000) - 600],
      [-41.5, -141.5, Math.floor(now.getTime() / 1000) - 300],
    ]
    evil.startTime = new Date(now.getTime() - 900_000)
    await seedLiveAircraft(database.pool, aircraft)
    await seedFlights(
      database.pool,
      makeEndedFlights(30, {
        newestStart: new Date(now.getTime() - 3 * 3600_000),
        callsigns: ['SKY100', 'SKY200'],
      })
    )
    await seedPipelineStatus(database.pool, [
      { stream: 'partition-0', lastDataTime: now, lastWriteAt: now },
    ])

    pool = createPool(database.url, {
      applicationName: 'dashboard-browser-test',
      logger: silentLogger,
      max: 4,
      readOnly: true,
    })
    const config = loadConfig({
      DATABASE_URL: database.url,
      DASHBOARD_REFRESH_SECONDS: '1',
      DASHBOARD_LIVE_CACHE_MS: '0',
    })
    const app = createApp({ config, logger: silentLogger, pool, assets: await buildClientAssets() })
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
    })
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.on('request', (request) => {
      const url = request.url()
      if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) {
        foreignRequests.push(url)
      }
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('response', (response) => {
      // The flight search test sends one bad icao24 on purpose.
      if (response.status() >= 400 && !response.url().includes('icao24=zzz')) {
        problems.push(`HTTP ${response.status()} for ${response.url()}`)
      }
    })
    page.on('console', (message) => {
      // Failed loads are reported above, by URL; every other console error counts.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        problems.push(`console: ${message.text()}`)
      }
    })
    page.on('dialog', (dialog) => {
      problems.push(`dialog opened: ${dialog.message()}`)
      void dialog.dismiss()
    })
    await page.goto(`${origin}/`)
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    await pool?.end()
  })

  it('draws every live aircraft on the map canvas', async () => {
    await page.waitForFunction((count) => window.skytrailDebug?.aircraftCount() === count, AIRCRAFT)
    await page.waitForFunction(() => (window.skytrailDebug?.drawnCount() ?? 0) > 0)
    const drawn = await page.evaluate(() => window.skytrailDebug?.drawnCount() ?? 0)
    // The whole world is in view at the start; a few aircraft may sit beyond its edges.
    expect(drawn).toBeGreaterThan(AIRCRAFT * 0.9)
    expect(await page.locator('canvas.aircraft-canvas').getAttribute('data-drawn')).toBe(
      String(drawn)
    )
    // The aircraft are pixels: the canvas is not blank where the isolated one is drawn.
    const position = await page.evaluate(
      (id) => window.skytrailDebug?.screenPosition(id),
      evil.icao24
    )
    expect(position).toBeTruthy()
    const painted = await page.evaluate(
      ({ x, y }) => {
        const canvas = document.querySelector<HTMLCanvasElement>('canvas.aircraft-canvas')
        const box = canvas?.getBoundingClientRect()
        const context = canvas?.getContext('2d')
        if (!canvas || !box || !context) {
          return 0
        }
        const ratio = canvas.width / box.width
        const data = context.getImageData(
          Math.round((x - box.left) * ratio) - 4,
          Math.round((y - box.top) * ratio) - 4,
          9,
          9
        ).data
        let opaque = 0
        for (let k = 3; k < data.length; k += 4) {
          opaque += (data[k] as number) > 0 ? 1 : 0
        }
        return opaque
      },
      position as { x: number; y: number }
    )
    expect(painted).toBeGreaterThan(5)
  })

  it('shows an aircraft’s details and track when it is clicked, callsign as text', async () => {
    const position = await page.evaluate(
      (id) => window.skytrailDebug?.screenPosition(id),
      evil.icao24
    )
    expect(position).toBeTruthy()
    await page.mouse.click(position!.x, position!.y)
    await page.waitForFunction((id) => window.skytrailDebug?.selected() === id, evil.icao24)
    const details = page.locator('#details')
    await details.waitFor({ state: 'visible' })
    await expect.poll(() => page.locator('#details-title').textContent()).toBe(EVIL_CALLSIGN)
    expect(await details.locator('img').count()).toBe(0)
    // The route's three waypoints plus the live position.
    await page.waitForFunction(() => window.skytrailDebug?.trackPoints() === 4)
    const text = await page.locator('#details-fields').innerText()
    expect(text).toContain(evil.icao24)
    expect(text).toContain('7700 (emergency)')
    expect(text).toMatch(/32,808 ft \(10,000 m\)/)
    expect(await page.locator('#details-track').textContent()).toContain(
      '3 waypoints and the live position'
    )

    await mkdir(ARTEFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTEFACTS, 'dashboard-browser.png') })
  })

  it('lists aircraft as text in the side list and filters them', async () => {
    await page.fill('#aircraft-filter', 'onerror')
    const row = page.locator('#aircraft-list .vlist-row')
    await expect.poll(() => row.count()).toBe(1)
    expect(await row.locator('.callsign').textContent()).toBe(EVIL_CALLSIGN)
    expect(await page.locator('#aircraft-list img').count()).toBe(0)
    await page.fill('#aircraft-filter', '')
    // Virtualised: far fewer rows than aircraft.
    const rows = await page.locator('#aircraft-list .vlist-row').count()
    expect(rows).toBeGreaterThan(5)
    expect(rows).toBeLessThan(100)
  })

  it('moves an aircraft when the database changes, without losing the selection', async () => {
    const before = await page.evaluate(() => window.skytrailDebug?.updates() ?? 0)
    const first = await page.evaluate((id) => window.skytrailDebug?.screenPosition(id), evil.icao24)
    await getDatabase().pool.query(
      `UPDATE live_flights SET lon = lon + 5, last_contact = now() WHERE icao24 = $1`,
      [evil.icao24]
    )
    await page.waitForFunction((count) => (window.skytrailDebug?.updates() ?? 0) > count, before)
    const moved = await page.evaluate((id) => window.skytrailDebug?.screenPosition(id), evil.icao24)
    expect(moved!.x).toBeGreaterThan(first!.x + 5)
    expect(await page.evaluate(() => window.skytrailDebug?.selected())).toBe(evil.icao24)
  })

  it('searches finished flights and draws the track of one', async () => {
    await page.click('[data-tab="flights"]')
    const overflowing = await page.evaluate(() => {
      const sidebar = document.querySelector('.sidebar')!.getBoundingClientRect()
      return [...document.querySelectorAll('#flight-search input, #flight-search button')]
        .filter((field) => field.getBoundingClientRect().right > sidebar.right)
        .map((field) => field.getAttribute('name') ?? field.textContent)
    })
    expect(overflowing, 'search fields cut off by the sidebar').toEqual([])
    await page.fill('#flight-search input[name="callsign"]', 'sky1')
    await page.click('#flight-search button[type="submit"]')
    const results = page.locator('#flight-results li[data-flight]')
    await expect.poll(() => results.count()).toBe(15)
    await results.first().click()
    await page.waitForFunction(() => window.skytrailDebug?.selected() === null)
    await expect.poll(() => page.locator('#details-title').textContent()).toBe('SKY100')
    expect(await page.evaluate(() => window.skytrailDebug?.trackPoints() ?? 0)).toBeGreaterThan(2)
    expect(await page.locator('#details-fields').innerText()).toContain('Flight end')

    await page.fill('#flight-search input[name="icao24"]', 'zzz')
    await page.click('#flight-search button[type="submit"]')
    await expect.poll(() => page.locator('#flight-error').textContent()).toContain('icao24')
  })

  it('shows the pipeline status', async () => {
    await page.click('[data-tab="status"]')
    const status = page.locator('#status-panel')
    await expect.poll(() => status.innerText()).toContain('Aircraft live')
    expect(await status.innerText()).toContain(String(AIRCRAFT))
    await page.screenshot({ path: join(ARTEFACTS, 'dashboard-browser-status.png') })
  })

  it('made no request to another origin and raised no script error or dialog', () => {
    expect(foreignRequests).toEqual([])
    expect(problems).toEqual([])
  })

  // The tests below make requests slow or fail on purpose, so they come after the check above.

  const results = () => page.locator('#flight-results li[data-flight]')

  /**
   * Searches every flight, waits for the first page, then runs `during` while each next-page
   * request is held 800 ms before it goes out.
   */
  async function withSlowNextPage(during: () => Promise<void>) {
    await page.click('[data-tab="flights"]')
    await page.fill('#flight-search input[name="callsign"]', '')
    await page.fill('#flight-search input[name="icao24"]', '')
    await page.click('#flight-search button[type="submit"]')
    await expect.poll(() => results().count()).toBe(50)
    await page.route(/\/api\/flights\?.*cursor=/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 800))
      await route.continue().catch(() => {}) // the page may have cancelled it meanwhile
    })
    try {
      await during()
    } finally {
      await page.unrouteAll()
    }
  }

  it('loads the next page of flights once, however often More is clicked meanwhile', async () => {
    await withSlowNextPage(async () => {
      await page.click('#flight-more')
      await page.click('#flight-more', { force: true })
      await expect.poll(() => results().count()).toBe(100)
      await page.waitForTimeout(1200)
      const ids = await results().evaluateAll((items) =>
        items.map((item) => (item as HTMLElement).dataset.flight)
      )
      expect(ids).toHaveLength(100)
      expect(new Set(ids).size).toBe(100)
    })
  })

  it('drops a page of the previous search that arrives after a new search', async () => {
    await withSlowNextPage(async () => {
      await page.click('#flight-more')
      await page.fill('#flight-search input[name="callsign"]', 'sky1')
      await page.click('#flight-search button[type="submit"]')
      await expect.poll(() => results().count()).toBe(15)
      await page.waitForTimeout(1200)
      const callsigns = await page
        .locator('#flight-results li[data-flight] .callsign')
        .allInnerTexts()
      expect(callsigns).toHaveLength(15)
      expect(callsigns.every((callsign) => callsign.startsWith('SKY1'))).toBe(true)
    })
  })

  it('says so in the summary when the server stops answering, and recovers', async () => {
    const summary = page.locator('#summary')
    await expect.poll(() => summary.textContent()).toContain('aircraft')
    await page.route(/\/api\/(live|status)/, (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'database unavailable' }),
      })
    )
    try {
      await expect
        .poll(() => summary.textContent(), { timeout: 5000 })
        .toContain('no answer from the server: database unavailable')
      expect(await summary.getAttribute('class')).toContain('bad')
      // The aircraft last received stay on the map and in the count.
      expect(await summary.textContent()).toContain(`${AIRCRAFT} aircraft`)
    } finally {
      await page.unrouteAll()
    }
    await expect.poll(() => summary.textContent(), { timeout: 5000 }).not.toContain('no answer')
  })
})
