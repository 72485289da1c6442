import { Hono } from 'hono'
import pg from 'pg'
import { describe, expect, it } from 'vitest'

import { BadRequestError } from '../../shared/http/errors.ts'
import { silentLogger } from '../../shared/logger.ts'
import { publicErrorHandler } from './errors.ts'

/** An app whose only route throws `err`, answered by the dashboard's error handler. */
function throwing(err: unknown): Hono {
  const app = new Hono()
  app.onError(publicErrorHandler(silentLogger))
  app.get('/', () => {
    throw err
  })
  return app
}

/** An error as node-postgres raises it for a server error response. */
function databaseError(code: string, message: string): pg.DatabaseError {
  const err = new pg.DatabaseError(message, message.length, 'error')
  err.code = code
  return err
}

describe('dashboard error responses', () => {
  it('answers a database outage with 503 and a fixed text', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), {
      code: 'ECONNREFUSED',
    })
    const res = await throwing(refused).request('/')
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ error: 'database unavailable' })
  })

  it('answers a value PostgreSQL refused with a plain 500, not its message', async () => {
    const res = await throwing(
      databaseError('22008', 'date/time field value out of range: "2026-13-45 99:99:99+00"')
    ).request('/')
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: 'internal error' })
  })

  it('answers any other database error with a plain 500', async () => {
    const res = await throwing(
      databaseError('28P01', 'password authentication failed for user "skytrail_reader"')
    ).request('/')
    expect(res.status).toBe(500)
    expect(await res.text()).not.toContain('skytrail_reader')
  })

  it('passes its own 400s on with the message that names the parameter', async () => {
    const res = await throwing(
      new BadRequestError('invalid query: limit: must be at least 1')
    ).request('/')
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: 'invalid query: limit: must be at least 1' })
  })
})
