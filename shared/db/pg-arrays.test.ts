import { describe, expect, it } from 'vitest'

import {
  boolArray,
  float8Array,
  int2Array,
  int8Array,
  textArray,
  uuidv7Array,
} from './pg-arrays.ts'

const itself = <T>(value: T) => value

/** The elements of a one-dimensional binary array, as their raw bytes (null for NULL). */
function elements(buffer: Buffer) {
  expect(buffer.readInt32BE(0)).toBe(1)
  const count = buffer.readInt32BE(12)
  const values: (Buffer | null)[] = []
  let offset = 20
  for (let i = 0; i < count; i++) {
    const length = buffer.readInt32BE(offset)
    offset += 4
    values.push(length < 0 ? null : buffer.subarray(offset, offset + length))
    offset += Math.max(length, 0)
  }
  expect(offset).toBe(buffer.length)
  return { oid: buffer.readUInt32BE(8), hasNull: buffer.readInt32BE(4) === 1, values }
}

describe('binary array parameters', () => {
  it('writes a header with the element type, and NULLs as length -1', () => {
    const text = elements(textArray(['DLH453', null, 'Côte', ''], itself))
    expect(text.oid).toBe(25)
    expect(text.hasNull).toBe(true)
    expect(text.values.map((value) => value?.toString('utf8') ?? null)).toEqual([
      'DLH453',
      null,
      'Côte',
      '',
    ])
    expect(elements(boolArray([true, false], itself)).hasNull).toBe(false)
    expect(elements(textArray([], itself)).values).toEqual([])
  })

  it('reads each element from its row, undefined as NULL', () => {
    const rows = [{ squawk: '7000' }, { squawk: null }, {}] as { squawk?: string | null }[]
    const squawks = elements(textArray(rows, (row) => row.squawk))
    expect(squawks.hasNull).toBe(true)
    expect(squawks.values.map((value) => value?.toString('utf8') ?? null)).toEqual([
      '7000',
      null,
      null,
    ])
  })

  it('writes numbers big-endian at the width of their type', () => {
    expect(elements(float8Array([1.5], itself)).values[0]?.readDoubleBE(0)).toBe(1.5)
    const big = elements(int8Array([1_750_000_000, -2, Number.MAX_SAFE_INTEGER], itself)).values
    expect(big.map((value) => value?.readBigInt64BE(0))).toEqual([
      1_750_000_000n,
      -2n,
      BigInt(Number.MAX_SAFE_INTEGER),
    ])
    expect(elements(int2Array([-3], itself)).values[0]?.readInt16BE(0)).toBe(-3)
    expect(elements(boolArray([true], itself)).values[0]?.readUInt8(0)).toBe(1)
  })

  it('refuses values its type cannot hold, naming the element', () => {
    expect(() => float8Array([1, Number.NaN], itself)).toThrow(
      'array element 1: NaN is not a finite number'
    )
    expect(() => int8Array([1.5], itself)).toThrow('array element 0: 1.5 is not a safe integer')
    expect(() => int2Array([40_000], itself)).toThrow('array element 0: 40000 is not a smallint')
  })

  it('writes version 7 UUIDs: the time, then ascending, then random', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0, 123)
    const uuids = elements(uuidv7Array(20_000, now))
    expect(uuids.oid).toBe(2950)
    const hex = uuids.values.map((value) => value?.toString('hex') ?? '')
    expect(new Set(hex).size).toBe(20_000)
    expect([...hex].sort()).toEqual(hex)
    for (const value of hex) {
      expect(value).toMatch(/^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/)
      expect(Number.parseInt(value.slice(0, 12), 16)).toBe(now)
    }
    // The counter runs on from rand_a into rand_b: element 16,384 is the first with rand_a 1.
    expect(hex[16_383]?.slice(12, 20)).toBe('7000bfff')
    expect(hex[16_384]?.slice(12, 20)).toBe('70018000')
  })

  it('writes ids of a later millisecond after those of an earlier one', () => {
    const first = elements(uuidv7Array(3, 1_750_000_000_000)).values.at(-1)
    const later = elements(uuidv7Array(3, 1_750_000_000_001)).values[0]
    expect(Buffer.compare(first!, later!)).toBe(-1)
  })

  it('refuses more ids than its counter can order', () => {
    expect(() => uuidv7Array(2 ** 26)).toThrow('exceed the 26-bit counter')
  })
})
