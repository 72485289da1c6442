import { describe, expect, it } from 'vitest'

import { createSharedLoader } from './shared-loader.ts'

describe('createSharedLoader', () => {
  it('gives concurrent and recent callers one load, and loads again after the ttl', async () => {
    let time = 0
    let loads = 0
    const shared = createSharedLoader<number>(1000, () => time)
    const load = () => Promise.resolve(++loads)
    expect(await Promise.all([shared('a', load), shared('a', load)])).toEqual([1, 1])
    time = 999
    expect(await shared('a', load)).toBe(1)
    expect(await shared('b', load)).toBe(2)
    time = 1001
    expect(await shared('a', load)).toBe(3)
  })

  it('forgets a failed load at once', async () => {
    const shared = createSharedLoader<string>(60_000)
    await expect(shared('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    expect(await shared('k', () => Promise.resolve('up'))).toBe('up')
  })

  it('shares nothing once settled when the ttl is 0', async () => {
    let loads = 0
    const shared = createSharedLoader<number>(0)
    await shared('k', () => Promise.resolve(++loads))
    expect(await shared('k', () => Promise.resolve(++loads))).toBe(2)
  })
})
