import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { silentLogger } from '../../shared/logger.ts'
import type { Poller, TickReport } from './poller.ts'
import { startPollTimer } from './timer.ts'

function fakePoller(nextPollIn: (tick: number) => number | null) {
  const ticks: number[] = []
  const poller = {
    tick: () => {
      ticks.push(Date.now())
      const wait = nextPollIn(ticks.length)
      return Promise.resolve({
        status: 'polled',
        nextPollAt: wait === null ? null : new Date(Date.now() + wait).toISOString(),
      } as TickReport)
    },
    idle: () => Promise.resolve(),
  } as unknown as Poller
  return { poller, ticks }
}

describe('startPollTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 2, 10, 12) })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('ticks at once, then every interval, or later when the report says so', async () => {
    const start = Date.now()
    // the second tick's report asks for a 65 s pause (credit pacing)
    const { poller, ticks } = fakePoller((tick) => (tick === 2 ? 65_000 : null))
    const timer = startPollTimer({ poller, intervalSeconds: 10, logger: silentLogger })
    await vi.advanceTimersByTimeAsync(100_000)
    await timer.stop()
    expect(ticks.map((at) => (at - start) / 1000)).toEqual([0, 10, 75, 85, 95])
    const count = ticks.length
    await vi.advanceTimersByTimeAsync(60_000)
    expect(ticks).toHaveLength(count)
  })
})
