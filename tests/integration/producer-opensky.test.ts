/**
 * The OpenSky client, token provider and live source against a local fake OpenSky (node:http on
 * 127.0.0.1) serving the real sample responses: auth, 401, 429, 5xx, timeouts, bad bodies.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { DACH_BBOX } from '../../functions/producer/bbox.ts'
import { CreditPacer } from '../../functions/producer/credits.ts'
import { createTokenProvider, readCredentialsFile } from '../../functions/producer/opensky-auth.ts'
import {
  createOpenSkyClient,
  type OpenSkyClientOptions,
} from '../../functions/producer/opensky-client.ts'
import { OpenSkyError } from '../../functions/producer/opensky-error.ts'
import { createLiveSource } from '../../functions/producer/sources/live.ts'
import { silentLogger } from '../../shared/logger.ts'

const fixture = (name: string) => new URL(`../fixtures/opensky/${name}`, import.meta.url)
const SAMPLE_1 = readFileSync(fixture('sample-1.json'), 'utf8') // 17 fields
const SAMPLE_3 = gunzipSync(readFileSync(fixture('sample-3.json.gz'))).toString('utf8') // 18

interface Recorded {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: string
}

type Handler = (req: Recorded, res: ServerResponse) => void

/** A fake OpenSky: `/token` and `/api/states/all`, answered by queued handlers. */
function fakeOpenSky() {
  const requests: Recorded[] = []
  const states: Handler[] = []
  const tokens: Handler[] = []
  let issued = 0
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://fake'),
        headers: req.headers,
        body,
      }
      requests.push(recorded)
      if (recorded.url.pathname === '/token') {
        const handler = tokens.shift()
        if (handler) {
          handler(recorded, res)
          return
        }
        issued++
        json(res, 200, { access_token: `token-${issued}`, expires_in: 1800, token_type: 'Bearer' })
        return
      }
      const handler = states.shift()
      if (!handler) {
        json(res, 500, { error: 'no response queued' })
        return
      }
      handler(recorded, res)
    })
  })
  return {
    requests,
    statesRequests: () =>
      requests.filter((request) => request.url.pathname.endsWith('/states/all')),
    tokenRequests: () => requests.filter((request) => request.url.pathname === '/token'),
    queue: (...handlers: Handler[]) => states.push(...handlers),
    queueToken: (...handlers: Handler[]) => tokens.push(...handlers),
    reset() {
      requests.length = 0
      states.length = 0
      tokens.length = 0
    },
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const { port } = server.address() as AddressInfo
      return { apiUrl: `http://127.0.0.1:${port}/api`, authUrl: `http://127.0.0.1:${port}/token` }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

const respond =
  (status: number, body: string, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(body)
  }

const CREDENTIALS = { clientId: 'skytrail-api-client', clientSecret: 's3cret' }

describe('OpenSky client against a fake OpenSky', () => {
  const fake = fakeOpenSky()
  let urls: { apiUrl: string; authUrl: string }
  let clock = Date.UTC(2026, 2, 10, 12)

  beforeAll(async () => {
    urls = await fake.start()
  })
  afterAll(() => fake.stop())
  afterEach(() => fake.reset())

  const client = (options: Partial<OpenSkyClientOptions> & { credentials?: boolean } = {}) => {
    const auth =
      options.credentials === false
        ? null
        : createTokenProvider({
            authUrl: urls.authUrl,
            credentials: CREDENTIALS,
            timeoutMs: 2000,
            now: () => clock,
          })
    return createOpenSkyClient({
      apiUrl: urls.apiUrl,
      bbox: DACH_BBOX,
      auth,
      timeoutMs: 2000,
      retries: 2,
      retryBaseDelayMs: 1,
      logger: silentLogger,
      ...options,
    })
  }

  it('polls anonymously with the box and extended=1, keeping 17-field rows as sent', async () => {
    fake.queue(respond(200, SAMPLE_1, { 'X-Rate-Limit-Remaining': '397' }))
    const response = await client({ credentials: false }).fetchStates()
    expect(response).toMatchObject({ kind: 'ok', creditsRemaining: 397, body: SAMPLE_1 })
    if (response.kind === 'ok') {
      expect(response.envelope).toEqual(JSON.parse(SAMPLE_1))
      expect(response.envelope.states?.[0]).toHaveLength(17)
    }
    const [request] = fake.statesRequests()
    expect(Object.fromEntries(request!.url.searchParams)).toEqual({
      lamin: '45.8',
      lomin: '5.9',
      lamax: '55.1',
      lomax: '17.2',
      extended: '1',
    })
    expect(request!.headers.authorization).toBeUndefined()
    expect(fake.tokenRequests()).toHaveLength(0)
  })

  it('keeps 18-field rows (category) of a full real response as sent', async () => {
    fake.queue(respond(200, SAMPLE_3))
    const response = await client().fetchStates()
    expect(response.kind).toBe('ok')
    if (response.kind === 'ok') {
      expect(response.envelope.states).toHaveLength(4181)
      expect(response.envelope).toEqual(JSON.parse(SAMPLE_3))
      expect(response.envelope.states?.[0]).toHaveLength(18)
      expect(response.creditsRemaining).toBeNull()
    }
  })

  it('gets a token with client credentials, sends it as Bearer and reuses it', async () => {
    fake.queue(respond(200, SAMPLE_1), respond(200, SAMPLE_1))
    const opensky = client()
    await opensky.fetchStates()
    await opensky.fetchStates()
    const [tokenRequest] = fake.tokenRequests()
    expect(fake.tokenRequests()).toHaveLength(1)
    expect(tokenRequest!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(tokenRequest!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: CREDENTIALS.clientId,
      client_secret: CREDENTIALS.clientSecret,
    })
    const [first, second] = fake.statesRequests().map((request) => request.headers.authorization)
    expect(first).toMatch(/^Bearer token-\d+$/)
    expect(second).toBe(first)
  })

  it('refreshes the token 60 s before it expires', async () => {
    fake.queueToken((_req, res) => json(res, 200, { access_token: 'short-lived', expires_in: 120 }))
    fake.queue(respond(200, SAMPLE_1), respond(200, SAMPLE_1), respond(200, SAMPLE_1))
    const opensky = client()
    await opensky.fetchStates()
    clock += 59_000
    await opensky.fetchStates() // 61 s before expiry: still cached
    clock += 2_000
    await opensky.fetchStates() // 59 s before expiry: refreshed
    expect(fake.statesRequests().map((request) => request.headers.authorization)).toEqual([
      'Bearer short-lived',
      'Bearer short-lived',
      expect.stringMatching(/^Bearer token-\d+$/),
    ])
    expect(fake.tokenRequests()).toHaveLength(2)
  })

  it('on a 401 refreshes the token once and retries', async () => {
    fake.queue(respond(401, '{"error":"expired"}'), respond(200, SAMPLE_1))
    const response = await client().fetchStates()
    expect(response.kind).toBe('ok')
    expect(fake.tokenRequests()).toHaveLength(2)
    const [first, second] = fake.statesRequests()
    expect(second!.headers.authorization).not.toBe(first!.headers.authorization)
  })

  it('gives up after a second 401 as unauthorized', async () => {
    fake.queue(respond(401, '{}'), respond(401, '{}'), respond(200, SAMPLE_1))
    const failure = await client()
      .fetchStates()
      .catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(OpenSkyError)
    expect(failure).toMatchObject({ kind: 'unauthorized', status: 401 })
    expect(fake.statesRequests()).toHaveLength(2)
  })

  it('reports bad credentials at the token endpoint as unauthorized, without retrying', async () => {
    fake.queueToken((_req, res) => json(res, 401, { error: 'invalid_client' }))
    await expect(client().fetchStates()).rejects.toMatchObject({ kind: 'unauthorized' })
    expect(fake.tokenRequests()).toHaveLength(1)
    expect(fake.statesRequests()).toHaveLength(0)
  })

  it('reports a 429 with its retry-after and does not retry it', async () => {
    fake.queue(
      respond(429, 'Too many requests', {
        'X-Rate-Limit-Retry-After-Seconds': '3600',
        'X-Rate-Limit-Remaining': '0',
      })
    )
    expect(await client().fetchStates()).toEqual({
      kind: 'rate-limited',
      retryAfterSeconds: 3600,
      creditsRemaining: 0,
    })
    expect(fake.statesRequests()).toHaveLength(1)
  })

  it('retries 5xx answers with backoff and succeeds', async () => {
    fake.queue(respond(503, 'busy'), respond(502, 'bad gateway'), respond(200, SAMPLE_1))
    expect((await client().fetchStates()).kind).toBe('ok')
    expect(fake.statesRequests()).toHaveLength(3)
  })

  it('throws after the bounded retries when OpenSky keeps failing', async () => {
    fake.queue(respond(500, 'a'), respond(500, 'b'), respond(500, 'c'), respond(200, SAMPLE_1))
    await expect(client().fetchStates()).rejects.toMatchObject({ kind: 'http', status: 500 })
    expect(fake.statesRequests()).toHaveLength(3)
  })

  it('times out a request that never answers, and retries it', async () => {
    const hang: Handler = () => undefined
    fake.queue(hang, hang)
    const opensky = client({ timeoutMs: 150, retries: 1 })
    await expect(opensky.fetchStates()).rejects.toMatchObject({ kind: 'timeout' })
    expect(fake.statesRequests()).toHaveLength(2)
  })

  it("stops at the tick's deadline: cancels the request under way and retries no more", async () => {
    const hang: Handler = () => undefined
    fake.queue(hang, hang, hang)
    // without the deadline: 3 attempts of 30 s each, longer than this test may take
    const opensky = client({ timeoutMs: 30_000, retries: 2 })
    let requests = 0
    await expect(
      opensky.fetchStates(() => requests++, AbortSignal.timeout(200))
    ).rejects.toMatchObject({ kind: 'timeout', message: "stopped: the tick's time ran out" })
    expect(requests).toBe(1)
  })

  it('times out a body that stops half-way', async () => {
    fake.queue((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(SAMPLE_1.slice(0, 100))
    })
    const opensky = client({ timeoutMs: 150, retries: 0 })
    await expect(opensky.fetchStates()).rejects.toMatchObject({ kind: 'timeout' })
  })

  it('reports malformed JSON and wrong shapes as bad responses, with the credits left', async () => {
    fake.queue(
      respond(200, SAMPLE_1.slice(0, -20), { 'X-Rate-Limit-Remaining': '12' }),
      respond(200, '{"error":"maintenance"}'),
      respond(200, '{"time":1604921480,"states":{"3c6703":[]}}')
    )
    const opensky = client()
    const problems = []
    for (let poll = 0; poll < 3; poll++) {
      const response = await opensky.fetchStates()
      expect(response.kind).toBe('bad-response')
      problems.push(response.kind === 'bad-response' ? response : null)
    }
    expect(problems[0]?.problem).toMatch(/^malformed JSON/)
    expect(problems[0]?.creditsRemaining).toBe(12)
    expect(problems[1]?.problem).toMatch(/^not a states envelope: time/)
    expect(problems[2]?.problem).toMatch(/^not a states envelope: states/)
  })

  it('accepts states: null as an empty poll', async () => {
    fake.queue(respond(200, '{"time":1541978120,"states":null}'))
    expect(await client().fetchStates()).toMatchObject({
      kind: 'ok',
      envelope: { time: 1541978120, states: null },
    })
  })

  it('reports an unreachable OpenSky as a network error after its retries', async () => {
    const closed = fakeOpenSky()
    const { apiUrl } = await closed.start()
    await closed.stop()
    const opensky = createOpenSkyClient({
      apiUrl,
      bbox: DACH_BBOX,
      auth: null,
      timeoutMs: 1000,
      retries: 1,
      retryBaseDelayMs: 1,
      logger: silentLogger,
    })
    const failure = await opensky.fetchStates().catch((err: unknown) => err)
    expect(failure).toMatchObject({ kind: 'network' })
    expect((failure as Error).message).toContain('ECONNREFUSED')
  })

  it('drives the live source: polls, skips while pacing, honours a 429 retry-after', async () => {
    let now = Date.UTC(2026, 2, 10, 12)
    const pacer = new CreditPacer({ cost: 3, dailyCredits: 4000, nowMs: now })
    const source = createLiveSource({
      client: client(),
      pacer,
      eventSource: '/skytrail/producer/bbox/45.8,5.9,55.1,17.2',
      logger: silentLogger,
    })
    fake.queue(
      respond(200, SAMPLE_1, { 'X-Rate-Limit-Remaining': '3000' }),
      respond(429, '', { 'X-Rate-Limit-Retry-After-Seconds': '600' })
    )
    expect(await source.poll(now)).toMatchObject({ kind: 'states', creditsRemaining: 3000 })
    now += 30_000
    expect(await source.poll(now)).toMatchObject({ kind: 'skipped', reason: 'pacing' })
    now += 40_000
    expect(await source.poll(now)).toMatchObject({
      kind: 'skipped',
      reason: 'rate-limited',
      nextPollAt: now + 600_000,
    })
    expect(await source.poll(now + 599_000)).toMatchObject({
      kind: 'skipped',
      reason: 'rate-limited',
    })
    expect(fake.statesRequests()).toHaveLength(2)
  })
})

describe('credits of retried requests', () => {
  const fake = fakeOpenSky()
  let apiUrl = ''
  beforeAll(async () => {
    ;({ apiUrl } = await fake.start())
  })
  afterAll(() => fake.stop())

  it('charges the pacer for every request a poll sent, retries included', async () => {
    const now = Date.UTC(2026, 2, 10, 12)
    const pacer = new CreditPacer({ cost: 3, dailyCredits: 4000, nowMs: now })
    const source = createLiveSource({
      client: createOpenSkyClient({
        apiUrl,
        bbox: DACH_BBOX,
        auth: null,
        timeoutMs: 5000,
        retries: 2,
        retryBaseDelayMs: 1,
        logger: silentLogger,
      }),
      pacer,
      eventSource: '/skytrail/producer/bbox/45.8,5.9,55.1,17.2',
      logger: silentLogger,
    })
    fake.queue(respond(503, 'busy'), respond(503, 'busy'), respond(200, SAMPLE_1))
    expect(await source.poll(now)).toMatchObject({ kind: 'states' })
    expect(fake.statesRequests()).toHaveLength(3)

    const threeRequests = new CreditPacer({ cost: 3, dailyCredits: 4000, nowMs: now })
    for (let request = 0; request < 3; request++) {
      threeRequests.recordRequest(now, null)
    }
    expect(pacer.snapshot(now).nextPollAt).toBe(threeRequests.snapshot(now).nextPollAt)
    expect(pacer.snapshot(now).nextPollAt).toBeGreaterThan(now + 60_000)
  })
})

describe('readCredentialsFile', () => {
  it('reads the credentials.json OpenSky offers and explains a broken one', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'skytrail-credentials-'))
    try {
      const good = join(folder, 'credentials.json')
      await writeFile(good, JSON.stringify(CREDENTIALS))
      expect(await readCredentialsFile(good)).toEqual(CREDENTIALS)
      const bad = join(folder, 'bad.json')
      await writeFile(bad, '{"clientId":"x"}')
      await expect(readCredentialsFile(bad)).rejects.toThrow(/clientId and clientSecret/)
      await expect(readCredentialsFile(join(folder, 'missing.json'))).rejects.toThrow(/cannot read/)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })
})
