import { describe, expect, it } from 'vitest'

import { ConfigError } from '../../shared/config.ts'
import { DEFAULT_KAFKA_CONSUMER_GROUP, loadConfig } from './config.ts'

const DATABASE_URL = 'postgres://sweeper@127.0.0.1:5432/skytrail'

describe('sweeper config', () => {
  it('needs only DATABASE_URL and defaults the rest', () => {
    expect(loadConfig({ DATABASE_URL })).toEqual({
      port: 8080,
      logLevel: 'info',
      databaseUrl: DATABASE_URL,
      databasePoolMax: 4,
      flightTimeoutSeconds: 1200,
      sweepBatchSize: 5000,
      sweepTimeBudgetMs: 60_000,
      freshnessThresholdSeconds: 300,
      kafka: undefined,
      retentionDays: undefined,
      inboxRetentionHours: 24,
      runsRetentionDays: 7,
      alertSink: undefined,
    })
  })

  it('turns the lag check on with KAFKA_BROKERS, with the default group and topic', () => {
    const config = loadConfig({ DATABASE_URL, KAFKA_BROKERS: 'k1:9092, k2:9092' })
    expect(config.kafka).toEqual({
      brokers: ['k1:9092', 'k2:9092'],
      consumerGroup: DEFAULT_KAFKA_CONSUMER_GROUP,
      topic: 'flight_raw_data',
      lagThreshold: 100,
      partitionLagThreshold: 50,
      timeoutMs: 10_000,
    })
  })

  it('treats an empty KAFKA_BROKERS (an unset ConfigMap key) as not set', () => {
    expect(loadConfig({ DATABASE_URL, KAFKA_BROKERS: '' }).kafka).toBeUndefined()
  })

  it('reads K_SINK and the SinkBinding extensions in K_CE_OVERRIDES', () => {
    const config = loadConfig({
      DATABASE_URL,
      K_SINK: 'http://broker-ingress.knative-eventing.svc.cluster.local/skytrail/default',
      K_CE_OVERRIDES: '{"extensions":{"cluster":"prod"}}',
    })
    expect(config.alertSink).toEqual({
      url: 'http://broker-ingress.knative-eventing.svc.cluster.local/skytrail/default',
      extensions: { cluster: 'prod' },
      timeoutMs: 5_000,
    })
  })

  it('names a required variable that is not set, in plain words', () => {
    expect(() => loadConfig({})).toThrow(/- DATABASE_URL: is required but not set/)
    expect(() => loadConfig({ DATABASE_URL: '' })).toThrow(
      /- DATABASE_URL: is required but not set/
    )
  })

  it('lists every bad variable in one error', () => {
    const load = () =>
      loadConfig({
        DATABASE_URL: 'mysql://nope',
        SWEEP_BATCH_SIZE: '0',
        K_SINK: 'not a url',
        K_CE_OVERRIDES: '{"extensions":{"Bad-Name":"x"}}',
        RETENTION_DAYS: '-1',
      })
    expect(load).toThrow(ConfigError)
    expect(load).toThrow(/DATABASE_URL[\s\S]*SWEEP_BATCH_SIZE[\s\S]*RETENTION_DAYS/)
    expect(load).toThrow(/K_SINK/)
    expect(load).toThrow(/K_CE_OVERRIDES\.extensions\.Bad-Name/)
  })

  it('refuses at start-up values that would fail every tick in SQL or as timers', () => {
    const load = () =>
      loadConfig({
        DATABASE_URL,
        INBOX_RETENTION_HOURS: '3000000000',
        RETENTION_DAYS: '100000000',
        SWEEPER_RUNS_RETENTION_DAYS: '36501',
        FLIGHT_TIMEOUT_SECONDS: '1e12',
        SWEEP_BATCH_SIZE: '1e20',
        SWEEP_TIME_BUDGET_SECONDS: '300',
        KAFKA_TIMEOUT_MS: '3000000000',
        ALERT_SINK_TIMEOUT_MS: '3000000000',
      })
    expect(load).toThrow(ConfigError)
    for (const line of [
      '- INBOX_RETENTION_HOURS: must be at most 876000 (100 years)',
      '- RETENTION_DAYS: must be at most 36500 (100 years)',
      '- SWEEPER_RUNS_RETENTION_DAYS: must be at most 36500 (100 years)',
      '- FLIGHT_TIMEOUT_SECONDS: must be at most 86400 (a day)',
      '- SWEEP_BATCH_SIZE: must be at most 100000 (rows locked in one transaction)',
      '- SWEEP_TIME_BUDGET_SECONDS: must be at most 240 (a minute under the 300 s revision timeout)',
      '- KAFKA_TIMEOUT_MS: must be at most 60000 (a minute)',
      '- ALERT_SINK_TIMEOUT_MS: must be at most 60000 (a minute)',
    ]) {
      expect(load).toThrow(line)
    }
  })

  it('accepts each bound itself', () => {
    expect(
      loadConfig({
        DATABASE_URL,
        INBOX_RETENTION_HOURS: '876000',
        RETENTION_DAYS: '36500',
        SWEEP_TIME_BUDGET_SECONDS: '240',
      })
    ).toMatchObject({
      inboxRetentionHours: 876_000,
      retentionDays: 36_500,
      sweepTimeBudgetMs: 240_000,
    })
  })

  it('rejects K_CE_OVERRIDES that is not JSON', () => {
    expect(() => loadConfig({ DATABASE_URL, K_CE_OVERRIDES: 'cluster=prod' })).toThrow(
      /K_CE_OVERRIDES: must be JSON/
    )
  })
})
