import { describe, expect, it } from 'vitest'

import { computeConsumerLag } from './consumer-lag.ts'

const ids = { groupId: 'skytrail-processor', topic: 'flight_raw_data' }

describe('computeConsumerLag', () => {
  it('is the distance from the committed offset to the end, per partition and in total', () => {
    const lag = computeConsumerLag(
      ids,
      [
        { partition: 1, low: '0', high: '40' },
        { partition: 0, low: '0', high: '100' },
      ],
      [
        { partition: 0, offset: '90' },
        { partition: 1, offset: '40' },
      ]
    )
    expect(lag).toEqual({
      ...ids,
      total: 10,
      partitions: [
        { partition: 0, committed: 90, start: 0, end: 100, lag: 10 },
        { partition: 1, committed: 40, start: 0, end: 40, lag: 0 },
      ],
    })
  })

  it('counts a partition without a committed offset (-1) from its log start', () => {
    const lag = computeConsumerLag(
      ids,
      [{ partition: 0, low: '25', high: '30' }],
      [{ partition: 0, offset: '-1' }]
    )
    expect(lag.partitions).toEqual([{ partition: 0, committed: null, start: 25, end: 30, lag: 5 }])
  })

  it('counts a partition the group does not mention at all from its log start', () => {
    const lag = computeConsumerLag(ids, [{ partition: 3, low: '0', high: '7' }], [])
    expect(lag.total).toBe(7)
  })

  it('counts from the log start when retention removed records past the committed offset', () => {
    const lag = computeConsumerLag(
      ids,
      [{ partition: 0, low: '500', high: '510' }],
      [{ partition: 0, offset: '100' }]
    )
    expect(lag.partitions[0]).toMatchObject({ committed: 100, lag: 10 })
  })

  it('never reports negative lag for a committed offset past the end (topic recreated)', () => {
    const lag = computeConsumerLag(
      ids,
      [{ partition: 0, low: '0', high: '5' }],
      [{ partition: 0, offset: '900' }]
    )
    expect(lag.total).toBe(0)
  })

  it('refuses offsets it cannot represent exactly', () => {
    expect(() =>
      computeConsumerLag(ids, [{ partition: 0, low: '0', high: '9223372036854775807' }], [])
    ).toThrow(/unexpected Kafka offset/)
  })
})
