import { describe, expect, it } from 'vitest'

import { shutdownTimeoutMs } from './serve.ts'

describe('shutdownTimeoutMs', () => {
  it('leaves in-flight requests the revision timeout less the 30 s drain and a 5 s margin', () => {
    expect(shutdownTimeoutMs(60)).toBe(25_000)
    expect(shutdownTimeoutMs(300)).toBe(265_000)
  })
})
