import { describe, expect, it } from 'vitest'

import { booleanArray, numberArray, textArray } from '../../shared/db/pg-arrays.ts'
import { useTestDatabase } from '../helpers/postgres.ts'

const database = useTestDatabase()

describe('array literals read by PostgreSQL', () => {
  it('round-trip numbers, booleans, texts and NULLs exactly', async () => {
    const numbers = [1.5, null, -3, 1e21, 5e-324, 0.1 + 0.2, 1_750_000_000]
    const booleans = [true, null, false]
    const texts = ['DLH453', null, 'a"b', 'c\\d', '{x,y}', '', 'NULL', 'Côte d’Ivoire', ' lead']
    const { rows } = await database().pool.query<{
      numbers: (number | null)[]
      booleans: (boolean | null)[]
      texts: (string | null)[]
      smallints: (number | null)[]
    }>(
      `SELECT $1::float8[] AS numbers, $2::bool[] AS booleans, $3::text[] AS texts,
              $4::int2[] AS smallints`,
      [numberArray(numbers), booleanArray(booleans), textArray(texts), numberArray([3, null, 0])]
    )
    expect(rows[0]).toEqual({ numbers, booleans, texts, smallints: [3, null, 0] })
  })
})
