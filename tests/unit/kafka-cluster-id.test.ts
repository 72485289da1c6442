import { describe, expect, it } from 'vitest'

import { newClusterId } from '../../scripts/kafka/broker.ts'

describe('Kafka cluster ids for kafka-storage format', () => {
  it('are 16 bytes of base64url that never start with "-", which the tool would read as an option', () => {
    const ids = Array.from({ length: 10_000 }, newClusterId)
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
    }
    expect(new Set(ids).size).toBe(ids.length)
  })
})
