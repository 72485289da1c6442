/**
 * Shares one in-flight or recent result per key: callers within `ttlMs` of a load get the same
 * promise, so a hundred viewers polling /api/live cost one query per interval, not a hundred.
 * A failed load is forgotten at once so the next caller tries again.
 */
export function createSharedLoader<T>(
  ttlMs: number,
  now: () => number = Date.now
): (key: string, load: () => Promise<T>) => Promise<T> {
  const entries = new Map<string, { promise: Promise<T>; expiresAt: number | null }>()
  return function sharedLoad(key, load) {
    const time = now()
    for (const [entryKey, entry] of entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= time) {
        entries.delete(entryKey)
      }
    }
    const existing = entries.get(key)
    if (existing) {
      return existing.promise
    }
    const entry: { promise: Promise<T>; expiresAt: number | null } = {
      promise: load(),
      // Still loading: shared until it settles, then for ttlMs.
      expiresAt: null,
    }
    entries.set(key, entry)
    entry.promise.then(
      () => {
        entry.expiresAt = now() + ttlMs
        if (ttlMs <= 0 && entries.get(key) === entry) {
          entries.delete(key)
        }
      },
      () => {
        if (entries.get(key) === entry) {
          entries.delete(key)
        }
      }
    )
    return entry.promise
  }
}
