import { describe, expect, it } from 'vitest'

import { DACH_BBOX } from './bbox.ts'
import {
  allowedRate,
  CreditPacer,
  DAILY_CREDITS,
  minimumIntervalSeconds,
  nextUtcMidnight,
  requestCost,
} from './credits.ts'

const box = (lamin: number, lomin: number, lamax: number, lomax: number) => ({
  lamin,
  lomin,
  lamax,
  lomax,
})
const NOON = Date.UTC(2026, 2, 10, 12, 0, 0)
const SECOND = 1000

describe('requestCost', () => {
  it('charges 3 credits for the DACH box (105.09 square degrees)', () => {
    expect(requestCost(DACH_BBOX)).toBe(3)
  })

  it('follows the area tiers with inclusive upper bounds', () => {
    expect(requestCost(box(0, 0, 5, 5))).toBe(1) // exactly 25
    expect(requestCost(box(0, 0, 5, 5.01))).toBe(2)
    expect(requestCost(box(0, 0, 10, 10))).toBe(2) // exactly 100
    expect(requestCost(box(0, 0, 10, 10.01))).toBe(3)
    expect(requestCost(box(0, 0, 20, 20))).toBe(3) // exactly 400
    expect(requestCost(box(0, 0, 20, 20.01))).toBe(4)
    expect(requestCost(box(-90, -180, 90, 180))).toBe(4)
  })

  it('does not tip over a bound through float error in decimal boxes', () => {
    // (55.8 - 45.8) * (15.9 - 5.9) is 100.00000000000004 in floating point
    expect(requestCost(box(45.8, 5.9, 55.8, 15.9))).toBe(2)
  })
})

describe('minimumIntervalSeconds', () => {
  it('spreads the daily budget over the day', () => {
    expect(minimumIntervalSeconds(DAILY_CREDITS.standard, 3)).toBeCloseTo(64.8)
    expect(minimumIntervalSeconds(DAILY_CREDITS.feeder, 3)).toBeCloseTo(32.4)
    expect(minimumIntervalSeconds(DAILY_CREDITS.anonymous, 3)).toBeCloseTo(648)
    expect(minimumIntervalSeconds(DAILY_CREDITS.standard, 2)).toBeCloseTo(43.2)
  })
})

describe('nextUtcMidnight and allowedRate', () => {
  it('finds the next UTC midnight, also across month ends', () => {
    expect(nextUtcMidnight(NOON)).toBe(Date.UTC(2026, 2, 11))
    expect(nextUtcMidnight(Date.UTC(2026, 0, 31, 23, 59, 59))).toBe(Date.UTC(2026, 1, 1))
    expect(nextUtcMidnight(Date.UTC(2026, 1, 1))).toBe(Date.UTC(2026, 1, 2))
  })

  it('uses the budget rate unless the remaining credits would run out before midnight', () => {
    expect(allowedRate(4000, null, NOON)).toBeCloseTo(4000 / 86400)
    expect(allowedRate(4000, 3000, NOON)).toBeCloseTo(4000 / 86400) // 3000 left for half a day
    expect(allowedRate(4000, 432, NOON)).toBeCloseTo(432 / 43200) // would run out: slow down
    expect(allowedRate(4000, 0, NOON)).toBe(0)
  })
})

describe('CreditPacer', () => {
  const pacer = (nowMs = NOON, dailyCredits = 4000) =>
    new CreditPacer({ cost: 3, dailyCredits, nowMs })

  it('allows the first poll at once and the next one 64.8 s later', () => {
    const credits = pacer()
    expect(credits.check(NOON)).toEqual({ allowed: true })
    credits.recordRequest(NOON, null)
    const refused = credits.check(NOON + 10 * SECOND)
    expect(refused).toEqual({ allowed: false, reason: 'pacing', nextPollAt: NOON + 64_800 })
    expect(credits.check(NOON + 64_799)).toMatchObject({ allowed: false })
    expect(credits.check(NOON + 64_800)).toEqual({ allowed: true })
  })

  it('never spends more than the budget plus one poll in a day, whatever the tick schedule', () => {
    for (const tickSeconds of [1, 5, 60, 61, 300]) {
      const start = Date.UTC(2026, 2, 10)
      const credits = pacer(start)
      let polls = 0
      for (let t = start; t < start + 86_400 * SECOND; t += tickSeconds * SECOND) {
        if (credits.check(t).allowed) {
          credits.recordRequest(t, null)
          polls++
        }
      }
      const budgetPolls = 4000 / 3
      expect(polls * 3, `ticks every ${tickSeconds} s`).toBeLessThanOrEqual(4000 + 3)
      // A coarse schedule still uses (nearly) the whole budget: no tick is wasted on a skip
      // merely because it came a few seconds early.
      const reachable = Math.min(budgetPolls, 86_400 / tickSeconds)
      expect(polls, `ticks every ${tickSeconds} s`).toBeGreaterThanOrEqual(reachable - 2)
    }
  })

  it('slows down when OpenSky says the credits would not last until midnight', () => {
    const credits = pacer()
    credits.recordRequest(NOON, 30) // 30 credits for 12 hours: one poll every 72 minutes
    const decision = credits.check(NOON + 65 * SECOND)
    expect(decision.allowed).toBe(false)
    if (!decision.allowed) {
      expect(decision.reason).toBe('pacing')
      // 3 credits at 30 credits per 43,200 s, a little sooner as midnight comes closer
      const waitSeconds = (decision.nextPollAt - NOON) / 1000
      expect(waitSeconds).toBeGreaterThan(4200)
      expect(waitSeconds).toBeLessThanOrEqual(4320)
    }
    expect(credits.snapshot(NOON).creditsRemaining).toBe(30)
  })

  it('waits for midnight when no credits are left, and forgets the count after it', () => {
    const credits = pacer()
    credits.recordRequest(NOON, 0)
    const midnight = Date.UTC(2026, 2, 11)
    expect(credits.check(NOON + 3600 * SECOND)).toMatchObject({
      allowed: false,
      nextPollAt: midnight + 64_800,
    })
    expect(credits.snapshot(midnight + SECOND).creditsRemaining).toBeNull()
    expect(credits.check(midnight + 64_800).allowed).toBe(true)
  })

  it('honours a 429 retry-after, capped at one day, 300 s when the header is missing', () => {
    const limited = pacer()
    limited.recordRateLimited(NOON, 7200)
    expect(limited.check(NOON + 7199 * SECOND)).toEqual({
      allowed: false,
      reason: 'rate-limited',
      nextPollAt: NOON + 7200 * SECOND,
    })
    expect(limited.check(NOON + 7200 * SECOND).allowed).toBe(true)

    const capped = pacer()
    capped.recordRateLimited(NOON, 10 * 86_400)
    expect(capped.check(NOON)).toMatchObject({ nextPollAt: NOON + 86_400 * SECOND })

    const headerless = pacer()
    headerless.recordRateLimited(NOON, null)
    expect(headerless.check(NOON)).toMatchObject({ nextPollAt: NOON + 300 * SECOND })
  })

  it('refuses a budget that cannot pay a single poll', () => {
    expect(() => new CreditPacer({ cost: 3, dailyCredits: 2, nowMs: NOON })).toThrow(/cannot pay/)
  })
})
