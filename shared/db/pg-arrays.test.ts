import { describe, expect, it } from 'vitest'

import { booleanArray, numberArray, textArray } from './pg-arrays.ts'

describe('PostgreSQL array literals', () => {
  it('quotes every text element and escapes quotes and backslashes', () => {
    expect(textArray(['DLH453', null, 'a"b', 'c\\d', '{x,y}', ''])).toBe(
      '{"DLH453",NULL,"a\\"b","c\\\\d","{x,y}",""}'
    )
  })

  it('writes numbers and NULLs, and refuses non-finite numbers', () => {
    expect(numberArray([1.5, null, -3, 1e21, 0])).toBe('{1.5,null,-3,1e+21,0}')
    expect(() => numberArray([1, Number.NaN])).toThrow(/element 1 is not a finite number/)
  })

  it('writes booleans as true and false', () => {
    expect(booleanArray([true, false, null])).toBe('{true,false,null}')
    expect(textArray([])).toBe('{}')
  })
})
