import { describe, expect, it } from 'vitest'

import { loadSample } from '../../tests/fixtures/opensky.ts'
import { bucketOf, bucketRows, fnv1a32 } from './buckets.ts'
import { createSimulator } from './simulator/index.ts'

describe('fnv1a32', () => {
  it('matches the published FNV-1a test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
  })
})

describe('bucketOf', () => {
  it('puts an aircraft in the same bucket in every run (pinned values)', () => {
    // Changing these moves aircraft between Kafka partitions: per-aircraft order would break
    // across a deployment, so a change here must be deliberate.
    expect(bucketOf('3c6703', 6)).toBe(3)
    expect(bucketOf('a0a522', 6)).toBe(4)
    expect(bucketOf('440829', 6)).toBe(0)
    expect(bucketOf('7c6b2d', 6)).toBe(5)
    expect(bucketOf('a0a522', 12)).toBe(10)
  })

  it('ignores case and padding of the address', () => {
    expect(bucketOf('3C6703', 6)).toBe(bucketOf('3c6703', 6))
    expect(bucketOf(' 3c6703 ', 6)).toBe(bucketOf('3c6703', 6))
  })

  it('spreads real and simulated aircraft roughly evenly', () => {
    const real = (loadSample('sample-3').states ?? []) as unknown[][]
    const simulated = createSimulator({ seed: 7, aircraft: 20_000, bbox: null, epoch: 1.75e9 })
    for (const [name, rows] of [
      ['sample-3', real],
      ['simulator', simulated.stateAt(1.75e9).states],
    ] as const) {
      for (const buckets of [6, 12]) {
        const counts = new Array<number>(buckets).fill(0)
        for (const row of rows) {
          counts[bucketOf(row[0] as string, buckets)]! += 1
        }
        const mean = rows.length / buckets
        for (const count of counts) {
          expect(Math.abs(count - mean) / mean, `${name}, ${buckets} buckets`).toBeLessThan(0.12)
        }
      }
    }
  })
})

describe('bucketRows', () => {
  it('keeps every keyable row, untouched, in its bucket', () => {
    const rows = loadSample('sample-1').states as unknown[][]
    const { rows: buckets, dropped } = bucketRows(rows, 6)
    expect(dropped).toBe(0)
    expect(buckets.flat()).toHaveLength(rows.length)
    buckets.forEach((bucket, index) => {
      for (const row of bucket) {
        expect(rows).toContain(row) // same array object, not a copy
        expect(bucketOf((row as unknown[])[0] as string, 6)).toBe(index)
      }
    })
  })

  it('drops rows that cannot be keyed and treats null states as empty', () => {
    const good = loadSample('sample-2').states![0] as unknown[]
    const short = good.slice(0, 16)
    const noAddress = [null, ...good.slice(1)]
    const { rows, dropped } = bucketRows([good, short, noAddress, 'x', null], 6)
    expect(dropped).toBe(4)
    expect(rows.flat()).toEqual([good])
    expect(bucketRows(null, 6)).toEqual({ rows: [[], [], [], [], [], []], dropped: 0 })
  })
})
