import { describe, expect, it } from 'vitest'

import { databaseErrorCode, isInvalidDataError, isTransientDatabaseError } from './errors.ts'

const withCode = (code: string) => Object.assign(new Error(`error ${code}`), { code })

describe('database error classes', () => {
  it('retries a server that is away, busy or read-only after a failover', () => {
    for (const code of ['ECONNREFUSED', '08006', '53300', '57P01', '40P01', '25006']) {
      expect(isTransientDatabaseError(withCode(code)), code).toBe(true)
    }
    expect(isTransientDatabaseError(withCode('23505'))).toBe(false)
  })

  it('calls data the server refuses for good invalid, an index entry too large included', () => {
    for (const code of ['22003', '22P02', '23514', '54000']) {
      expect(isInvalidDataError(withCode(code)), code).toBe(true)
    }
    expect(isInvalidDataError(withCode('08006'))).toBe(false)
  })

  it("names a failure without a code by node-postgres's message, never by another one", () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
    ]) {
      expect(databaseErrorCode(new Error(message))).toBe(message)
    }
    expect(databaseErrorCode(withCode('ECONNREFUSED'))).toBe('ECONNREFUSED')
    // Anything else may name hosts or users: only its class is given.
    expect(databaseErrorCode(new TypeError('password for user "admin" is wrong'))).toBe('TypeError')
  })
})
