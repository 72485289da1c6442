/**
 * OpenSky API credit arithmetic and the pacer that keeps the daily budget lasting the whole day.
 * Pure functions and a small state machine; the time is always passed in (milliseconds), so the
 * arithmetic is tested with any clock.
 * @see https://openskynetwork.github.io/opensky-api/rest.html#api-credit-usage
 */
import { type BoundingBox, boundingBoxArea } from './bbox.ts'

export const SECONDS_PER_DAY = 86_400

/** Daily credits of the `/states/*` bucket per account tier. */
export const DAILY_CREDITS = Object.freeze({ anonymous: 400, standard: 4000, feeder: 8000 })

export type OpenSkyTier = keyof typeof DAILY_CREDITS

/** Longest wait a 429's `X-Rate-Limit-Retry-After-Seconds` can impose on us. */
export const MAX_RETRY_AFTER_SECONDS = SECONDS_PER_DAY

/** Wait after a 429 that came without a retry-after header. */
export const DEFAULT_RETRY_AFTER_SECONDS = 300

/**
 * Credits one `/states/all` request costs for a box: area ≤ 25 sq° → 1, ≤ 100 → 2, ≤ 400 → 3,
 * larger → 4. OpenSky writes the tiers as "0–25, 25–100, 100–400"; we read each upper bound as
 * inclusive (exactly 100 sq° costs 2), which is unconfirmed. The area is rounded to 1e-6 sq° so
 * that decimal boxes like 10.0 × 10.0 don't tip over a bound through float error.
 */
export function requestCost(box: BoundingBox): 1 | 2 | 3 | 4 {
  const area = Math.round(boundingBoxArea(box) * 1e6) / 1e6
  if (area <= 25) {
    return 1
  }
  if (area <= 100) {
    return 2
  }
  if (area <= 400) {
    return 3
  }
  return 4
}

/** Seconds between polls that spend exactly `dailyCredits` in a day: 86400 / (budget / cost). */
export function minimumIntervalSeconds(dailyCredits: number, cost: number): number {
  return SECONDS_PER_DAY / (dailyCredits / cost)
}

/** Milliseconds since the epoch of the next UTC midnight after `nowMs`. */
export function nextUtcMidnight(nowMs: number): number {
  const now = new Date(nowMs)
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
}

/**
 * Credits per second we may spend now: the budget's daily rate, or less when the credits OpenSky
 * says are left would not last until the next UTC midnight (when we assume they refill; OpenSky
 * does not document the reset instant) at that rate.
 */
export function allowedRate(dailyCredits: number, remaining: number | null, nowMs: number): number {
  const budgetRate = dailyCredits / SECONDS_PER_DAY
  if (remaining === null) {
    return budgetRate
  }
  const secondsLeft = Math.max(1, (nextUtcMidnight(nowMs) - nowMs) / 1000)
  return Math.min(budgetRate, Math.max(0, remaining) / secondsLeft)
}

export interface PacerOptions {
  /** Credits per request (see {@link requestCost}). */
  cost: number
  dailyCredits: number
  /** Time of creation; the first poll is allowed right away. */
  nowMs: number
}

export type PacerDecision =
  { allowed: true } | { allowed: false; reason: 'pacing' | 'rate-limited'; nextPollAt: number }

export interface PacerSnapshot {
  cost: number
  dailyCredits: number
  minimumIntervalSeconds: number
  /** Credits OpenSky reported left today, null until a response said so (or after midnight). */
  creditsRemaining: number | null
  /** Earliest time the next poll is allowed, ms. */
  nextPollAt: number
}

/**
 * Credit pacing as a token bucket: an allowance accrues at the allowed rate (the daily budget
 * spread over the day, slower when OpenSky's remaining credits say so) and a poll spends `cost`
 * of it. On average polls are `minimumIntervalSeconds` apart, whatever the tick schedule: with
 * ticks every 60 s and a 64.8 s interval, about one tick in thirteen is skipped instead of every
 * second one. The bucket holds at most two polls' worth, so over any day we spend at most the
 * budget plus one extra poll, and OpenSky's `X-Rate-Limit-Remaining` corrects the rest.
 */
export class CreditPacer {
  readonly cost: number
  readonly dailyCredits: number
  #allowance: number
  #updatedAt: number
  #blockedUntil = 0
  #remaining: number | null = null
  #remainingValidUntil = 0

  constructor({ cost, dailyCredits, nowMs }: PacerOptions) {
    if (!(cost > 0) || !(dailyCredits >= cost)) {
      throw new Error(`a daily budget of ${dailyCredits} credits cannot pay a ${cost}-credit poll`)
    }
    this.cost = cost
    this.dailyCredits = dailyCredits
    this.#allowance = cost
    this.#updatedAt = nowMs
  }

  /** May we poll now? If not, when may we? */
  check(nowMs: number): PacerDecision {
    this.#accrue(nowMs)
    if (nowMs < this.#blockedUntil) {
      return { allowed: false, reason: 'rate-limited', nextPollAt: this.#blockedUntil }
    }
    if (this.#allowance >= this.cost - 1e-9) {
      return { allowed: true }
    }
    return { allowed: false, reason: 'pacing', nextPollAt: this.#nextAllowed(nowMs) }
  }

  /**
   * `requests` were sent (answered or not: we cannot know whether a failed one was charged, so
   * each counts). `remaining` is OpenSky's `X-Rate-Limit-Remaining` when the last one had it.
   */
  recordRequest(nowMs: number, remaining: number | null, requests = 1): void {
    this.#accrue(nowMs)
    this.#allowance -= this.cost * requests
    if (remaining !== null) {
      this.#remaining = remaining
      this.#remainingValidUntil = nextUtcMidnight(nowMs)
    }
  }

  /** OpenSky answered 429: nothing until its retry-after has passed (capped at a day). */
  recordRateLimited(nowMs: number, retryAfterSeconds: number | null): void {
    this.#accrue(nowMs)
    const wait = Math.min(
      Math.max(retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS, 0),
      MAX_RETRY_AFTER_SECONDS
    )
    this.#blockedUntil = Math.max(this.#blockedUntil, nowMs + wait * 1000)
    // The allowance keeps accruing while blocked, so the poll after the wait is not delayed by
    // a further interval unless the wait was shorter than one.
    this.#allowance = Math.min(this.#allowance, 0)
  }

  snapshot(nowMs: number): PacerSnapshot {
    this.#accrue(nowMs)
    const decision = this.check(nowMs)
    return {
      cost: this.cost,
      dailyCredits: this.dailyCredits,
      minimumIntervalSeconds: minimumIntervalSeconds(this.dailyCredits, this.cost),
      creditsRemaining: this.#remainingAt(nowMs),
      nextPollAt: decision.allowed ? nowMs : decision.nextPollAt,
    }
  }

  #remainingAt(nowMs: number): number | null {
    return nowMs < this.#remainingValidUntil ? this.#remaining : null
  }

  #rate(nowMs: number): number {
    return allowedRate(this.dailyCredits, this.#remainingAt(nowMs), nowMs)
  }

  #accrue(nowMs: number): void {
    if (nowMs <= this.#updatedAt) {
      return
    }
    // The rate may change at midnight (remaining credits refill); accrue in two steps then.
    const midnight = nextUtcMidnight(this.#updatedAt)
    let from = this.#updatedAt
    while (from < nowMs) {
      const until = Math.min(nowMs, from < midnight ? midnight : nowMs)
      const seconds = (until - from) / 1000
      this.#allowance = Math.min(2 * this.cost, this.#allowance + this.#rate(from) * seconds)
      from = until
    }
    this.#updatedAt = nowMs
  }

  #nextAllowed(nowMs: number): number {
    const missing = this.cost - this.#allowance
    const rate = this.#rate(nowMs)
    const midnight = nextUtcMidnight(nowMs)
    const beforeMidnight = rate * ((midnight - nowMs) / 1000)
    if (rate > 0 && beforeMidnight >= missing) {
      return nowMs + wholeMs((missing / rate) * 1000)
    }
    // Past midnight the remaining credits refill and the full budget rate applies again.
    const fullRate = this.dailyCredits / SECONDS_PER_DAY
    return midnight + wholeMs(((missing - beforeMidnight) / fullRate) * 1000)
  }
}

/** Rounds up to whole milliseconds, ignoring float noise (64800.00000001 is 64800). */
function wholeMs(ms: number): number {
  return Math.ceil(ms - 1e-6)
}
