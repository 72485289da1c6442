import { setTimeout as delay } from 'node:timers/promises'

export interface BackoffOptions {
  /** Delay before the first retry, ms; doubles with every further retry. */
  baseDelayMs: number
  /** Upper bound of a single delay, ms. */
  maxDelayMs?: number
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries from
 * several clients spread out but never come back immediately.
 */
export function backoffDelay(
  retry: number,
  { baseDelayMs, maxDelayMs = 30_000 }: BackoffOptions,
  random: () => number = Math.random
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry)
  return ceiling / 2 + (ceiling / 2) * random()
}

/** Waits `ms` milliseconds (a promise, so tests and callers can await it). */
export function sleep(ms: number): Promise<void> {
  return delay(ms)
}
