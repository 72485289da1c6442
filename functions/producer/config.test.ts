import { describe, expect, it } from 'vitest'

import { loadConfig } from './config.ts'

const SINK = { K_SINK: 'http://processor.skytrail.svc.cluster.local' }

describe('producer config', () => {
  it('defaults to live OpenSky over DACH, anonymous, 6 buckets, HTTP sink from K_SINK', () => {
    const config = loadConfig(SINK)
    expect(config).toMatchObject({
      port: 8080,
      source: 'opensky',
      intervalSeconds: null,
      buckets: 6,
      sink: { kind: 'http', url: SINK.K_SINK, timeoutMs: 30_000, retries: 4 },
      opensky: {
        apiUrl: 'https://opensky-network.org/api',
        authUrl:
          'https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token',
        credentials: null,
        bbox: { lamin: 45.8, lomin: 5.9, lamax: 55.1, lomax: 17.2 },
        tier: 'anonymous',
        dailyCredits: 400,
        timeoutMs: 20_000,
        retries: 2,
      },
      simulation: { seed: 1, aircraft: 600, speed: 1 },
    })
  })

  it('prefers Kafka when KAFKA_BROKERS is set', () => {
    const config = loadConfig({ ...SINK, KAFKA_BROKERS: 'a:9092, b:9092', KAFKA_PARTITIONS: '12' })
    expect(config.sink).toEqual({
      kind: 'kafka',
      brokers: ['a:9092', 'b:9092'],
      topic: 'flight_raw_data',
      clientId: 'skytrail-producer',
      compression: 'gzip',
    })
    expect(config.buckets).toBe(12)
  })

  it('names both sink variables when neither is set', () => {
    expect(() => loadConfig({})).toThrow(/KAFKA_BROKERS.*K_SINK/)
  })

  it('uses the standard tier with credentials, and OPENSKY_DAILY_CREDITS over any tier', () => {
    const withCredentials = loadConfig({
      ...SINK,
      OPENSKY_CLIENT_ID: 'me-api-client',
      OPENSKY_CLIENT_SECRET: 'secret',
    })
    expect(withCredentials.opensky).toMatchObject({ tier: 'standard', dailyCredits: 4000 })
    expect(withCredentials.opensky.credentials).toEqual({
      clientId: 'me-api-client',
      clientSecret: 'secret',
    })
    const feeder = loadConfig({
      ...SINK,
      OPENSKY_CREDENTIALS_FILE: '/x.json',
      OPENSKY_TIER: 'feeder',
    })
    expect(feeder.opensky).toMatchObject({ tier: 'feeder', dailyCredits: 8000 })
    expect(loadConfig({ ...SINK, OPENSKY_DAILY_CREDITS: '2000' }).opensky.dailyCredits).toBe(2000)
  })

  it('rejects incomplete or contradictory settings, listing every problem', () => {
    expect(() => loadConfig({ ...SINK, OPENSKY_CLIENT_ID: 'only-id' })).toThrow(
      /OPENSKY_CLIENT_SECRET: OPENSKY_CLIENT_ID and OPENSKY_CLIENT_SECRET go together/
    )
    expect(() => loadConfig({ ...SINK, OPENSKY_TIER: 'feeder' })).toThrow(
      /OPENSKY_TIER: OPENSKY_TIER=feeder needs OpenSky credentials/
    )
    expect(() => loadConfig({ ...SINK, PRODUCER_SOURCE: 'replay' })).toThrow(/REPLAY_PATH/)
    expect(() => loadConfig({ ...SINK, PRODUCER_SOURCE: 'record' })).toThrow(/RECORD_DIR/)
    expect(() => loadConfig({ ...SINK, OPENSKY_BBOX: '55,5,45,17' })).toThrow(
      /OPENSKY_BBOX: lamin must be below lamax/
    )
    expect(() => loadConfig({ ...SINK, OPENSKY_BBOX: '1,2,3' })).toThrow(/four numbers/)
    expect(() => loadConfig({ K_SINK: 'ftp://x', PRODUCER_SOURCE: 'radar' })).toThrow(
      /PRODUCER_SOURCE[\s\S]*K_SINK/
    )
  })

  it('reads the local timer and simulation settings', () => {
    const config = loadConfig({
      ...SINK,
      PRODUCER_SOURCE: 'simulate',
      PRODUCER_INTERVAL_SECONDS: '5',
      SIMULATION_SEED: '42',
      SIMULATION_AIRCRAFT: '20000',
      SIMULATION_SPEED: '10',
    })
    expect(config).toMatchObject({
      source: 'simulate',
      intervalSeconds: 5,
      simulation: { seed: 42, aircraft: 20_000, speed: 10 },
    })
  })

  it('limits how long undelivered events are kept: 15 minutes or 20 attempts by default', () => {
    expect(loadConfig(SINK).pendingLimits).toEqual({ maxAgeMs: 900_000, maxAttempts: 20 })
    const config = loadConfig({
      ...SINK,
      PRODUCER_PENDING_MAX_AGE_SECONDS: '120',
      PRODUCER_PENDING_MAX_ATTEMPTS: '3',
    })
    expect(config.pendingLimits).toEqual({ maxAgeMs: 120_000, maxAttempts: 3 })
    expect(() => loadConfig({ ...SINK, PRODUCER_PENDING_MAX_ATTEMPTS: '0' })).toThrow(
      /PRODUCER_PENDING_MAX_ATTEMPTS/
    )
  })
})
