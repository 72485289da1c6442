// Deterministic randomness: every choice the simulator makes comes from a generator seeded by
// (seed, aircraft slot, leg number), so any moment of any flight can be recomputed on its own
// and the same seed always produces the same traffic, in any query order.

/** Mixes integers into one well-spread unsigned 32-bit value (murmur3 finaliser per step). */
export function mix32(...values: number[]): number {
  let h = 0x9e3779b9
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}

/** A small seeded generator (mulberry32): fast, 32-bit state, good enough for simulation. */
export class Random {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next())
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** Picks an item with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    let total = 0
    for (const item of items) {
      total += weight(item)
    }
    let target = this.next() * total
    for (const item of items) {
      target -= weight(item)
      if (target < 0) {
        return item
      }
    }
    return items[items.length - 1] as T
  }
}
