import type { Hono } from 'hono'

/**
 * Answers a request to a known path with a method the path does not serve: 405 with an `Allow`
 * header (RFC 9110) and a JSON error naming the methods, instead of the 404 that says the path
 * does not exist. OPTIONS gets 204 with the same header. Call it once all routes are registered:
 * it reads them from `app.routes`.
 */
export function rejectOtherMethods(app: Hono): void {
  const allowedByPath = new Map<string, Set<string>>()
  for (const { path, method } of app.routes) {
    // ALL is middleware (`app.use`), which serves no method of its own.
    if (method === 'ALL') {
      continue
    }
    const allowed = allowedByPath.get(path) ?? new Set(['OPTIONS'])
    allowed.add(method)
    // Hono answers HEAD with the GET route.
    if (method === 'GET') {
      allowed.add('HEAD')
    }
    allowedByPath.set(path, allowed)
  }
  for (const [path, allowed] of allowedByPath) {
    const allow = [...allowed].sort().join(', ')
    app.all(path, (c) => {
      c.header('Allow', allow)
      if (c.req.method === 'OPTIONS') {
        return c.body(null, 204)
      }
      return c.json(
        { error: `method ${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}` },
        405
      )
    })
  }
}
