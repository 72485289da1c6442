import { describe, expect, it } from 'vitest'

import {
  boolArray,
  float8Array,
  int2Array,
  int8Array,
  textArray,
  uuidv7Array,
} from '../../shared/db/pg-arrays.ts'
import { useTestDatabase } from '../helpers/postgres.ts'

const itself = <T>(value: T) => value

const database = useTestDatabase()

describe('binary array parameters read by PostgreSQL', () => {
  it('round-trip numbers, booleans, texts and NULLs exactly', async () => {
    const numbers = [1.5, null, -3, 1e21, 5e-324, 0.1 + 0.2, -0, 1_750_000_000]
    const integers = [1_750_000_000, null, -1, 0, Number.MAX_SAFE_INTEGER, -(2 ** 40) - 7]
    const booleans = [true, null, false]
    const texts = ['DLH453', null, 'a"b', 'c\\d', '{x,y}', '', 'NULL', 'Côte d’Ivoire', ' lead']
    const { rows } = await database().pool.query<{
      numbers: (number | null)[]
      booleans: (boolean | null)[]
      texts: (string | null)[]
      smallints: (number | null)[]
      integers: (string | null)[]
      empty: string[]
    }>(
      `SELECT $1::float8[] AS numbers, $2::bool[] AS booleans, $3::text[] AS texts,
              $4::int2[] AS smallints, $5::int8[]::text[] AS integers, $6::text[] AS empty`,
      [
        float8Array(numbers, itself),
        boolArray(booleans, itself),
        textArray(texts, itself),
        int2Array([3, null, -32_768], itself),
        int8Array(integers, itself),
        textArray([], itself),
      ]
    )
    expect(rows[0]).toEqual({
      numbers,
      booleans,
      texts,
      smallints: [3, null, -32_768],
      integers: integers.map((value) => (value === null ? null : String(value))),
      empty: [],
    })
  })

  it('reads version 7 UUIDs as uuid values that PostgreSQL orders as they were made', async () => {
    const { rows } = await database().pool.query<{ uuids: string[]; ordered: boolean }>(
      `SELECT $1::uuid[]::text[] AS uuids,
              $1::uuid[] = ARRAY(SELECT u FROM unnest($1::uuid[]) AS u ORDER BY u) AS ordered`,
      [uuidv7Array(1000)]
    )
    expect(rows[0]?.ordered).toBe(true)
    expect(rows[0]?.uuids[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    )
  })
})
