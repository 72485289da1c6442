import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'

import { rejectOtherMethods } from './method-not-allowed.ts'

function app() {
  const app = new Hono()
  app.use(async (c, next) => {
    await next()
    c.header('X-Middleware', 'ran')
  })
  app.post('/', (c) => c.json({ posted: true }))
  app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }))
  app.delete('/items/:id', (c) => c.body(null, 204))
  rejectOtherMethods(app)
  return app
}

describe('rejectOtherMethods', () => {
  it('answers 405 with Allow for a method the path does not serve', async () => {
    const response = await app().request('/', { method: 'GET' })
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('OPTIONS, POST')
    expect(await response.json()).toEqual({
      error: 'method GET is not allowed on /; allowed: OPTIONS, POST',
    })
    expect(response.headers.get('X-Middleware')).toBe('ran')
  })

  it('matches paths with parameters and lists every method of the path', async () => {
    const response = await app().request('/items/7', { method: 'PUT' })
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('DELETE, GET, HEAD, OPTIONS')
  })

  it('leaves the routes themselves, HEAD of a GET route and unknown paths alone', async () => {
    expect(await (await app().request('/', { method: 'POST' })).json()).toEqual({ posted: true })
    expect(await (await app().request('/items/7')).json()).toEqual({ id: '7' })
    expect((await app().request('/items/7', { method: 'HEAD' })).status).toBe(200)
    expect((await app().request('/items/7', { method: 'DELETE' })).status).toBe(204)
    expect((await app().request('/elsewhere', { method: 'GET' })).status).toBe(404)
  })

  it('answers OPTIONS with 204 and the allowed methods', async () => {
    const response = await app().request('/', { method: 'OPTIONS' })
    expect(response.status).toBe(204)
    expect(response.headers.get('Allow')).toBe('OPTIONS, POST')
  })
})
