import { describe, expect, it } from 'vitest'

import { loadConfig } from './config.ts'

describe('dashboard configuration', () => {
  it('keeps /metrics off unless DASHBOARD_METRICS turns it on', () => {
    const env = { DATABASE_URL: 'postgres://x/y' }
    expect(loadConfig(env).metricsEnabled).toBe(false)
    expect(loadConfig({ ...env, DASHBOARD_METRICS: 'true' }).metricsEnabled).toBe(true)
    expect(() => loadConfig({ ...env, DASHBOARD_METRICS: 'on' })).toThrow(/DASHBOARD_METRICS/)
  })

  it('keeps its stale threshold at 300 s whatever the sweeper is set to', () => {
    const env = { DATABASE_URL: 'postgres://x/y', FRESHNESS_THRESHOLD_SECONDS: '900' }
    expect(loadConfig(env).staleSeconds).toBe(300)
    expect(loadConfig({ ...env, DASHBOARD_STALE_SECONDS: '900' }).staleSeconds).toBe(900)
  })
})
