import { describe, expect, it } from 'vitest'

import { evaluateFreshness, evaluateKafkaLag } from './alerts.ts'

const written = (ageSeconds: number | null) => ({
  lastWriteAt: ageSeconds === null ? null : new Date('2026-07-01T12:00:00Z'),
  lastDataTime: ageSeconds === null ? null : new Date('2026-07-01T11:59:50Z'),
  ageSeconds,
  streams: ageSeconds === null ? 0 : 3,
  measuredAt: new Date('2026-07-01T12:05:00Z'),
})

describe('evaluateFreshness', () => {
  it('is stale when nothing was ever written, and says so', () => {
    const alert = evaluateFreshness(written(null), 300)
    expect(alert).toMatchObject({ name: 'data-freshness', active: true, value: null })
    expect(alert.message).toBe('no data written yet: pipeline_status is empty')
  })

  it('is stale only past the threshold', () => {
    expect(evaluateFreshness(written(300), 300).active).toBe(false)
    expect(evaluateFreshness(written(300.5), 300)).toMatchObject({
      active: true,
      value: 300.5,
      threshold: 300,
      message: 'no data written for 301 s (threshold 300 s)',
      details: { lastWriteAt: '2026-07-01T12:00:00.000Z', streams: 3 },
    })
  })
})

describe('evaluateKafkaLag', () => {
  const lag = (...lags: number[]) => ({
    groupId: 'g',
    topic: 't',
    total: lags.reduce((a, b) => a + b, 0),
    partitions: lags.map((value, partition) => ({
      partition,
      committed: 0,
      start: 0,
      end: value,
      lag: value,
    })),
  })
  const thresholds = { threshold: 100, partitionThreshold: 50 }
  const measuredAt = new Date('2026-07-01T12:05:00Z')

  it('is quiet at or under both thresholds', () => {
    expect(evaluateKafkaLag(lag(50, 50), thresholds, measuredAt).active).toBe(false)
  })

  it('fires on the total alone', () => {
    const alert = evaluateKafkaLag(lag(40, 40, 40), thresholds, measuredAt)
    expect(alert).toMatchObject({ name: 'kafka-lag', active: true, value: 120, threshold: 100 })
    expect(alert.message).toBe('consumer group g lags on t: total lag 120 > 100')
    expect(alert.details).toMatchObject({ laggingPartitions: [] })
  })

  it('fires on one stuck partition even with a small total', () => {
    const alert = evaluateKafkaLag(lag(0, 51), thresholds, measuredAt)
    expect(alert).toMatchObject({ active: true, value: 51 })
    expect(alert.message).toBe('consumer group g lags on t: partitions over 50: 1 (51)')
    expect(alert.details).toMatchObject({ laggingPartitions: [1], partitionThreshold: 50 })
  })
})
