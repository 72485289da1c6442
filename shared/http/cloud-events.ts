import type { CloudEvent } from 'cloudevents'
import { HTTP, ValidationError } from 'cloudevents'
import type { MiddlewareHandler } from 'hono'

import { BadRequestError } from './errors.ts'

declare module 'hono' {
  interface ContextVariableMap {
    /** The CloudEvents of the request: one in binary or structured mode, any number in batched mode. */
    cloudEvents: CloudEvent<unknown>[]
  }
}

export interface CloudEventsOptions {
  /** The event types the function handles; any other type is a 400 naming the accepted ones. */
  types: readonly string[]
}

/**
 * Decodes the request's CloudEvents once, at the edge, with the SDK, in binary, structured or
 * batched content mode. The SDK skips spec validation in binary and structured mode, so every
 * event is validated here; malformed JSON, anything that is not a valid CloudEvent, an empty
 * batch and an event of another type become 400. Event data stays `unknown` until the
 * handler's schema has checked it.
 * @see https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/http-protocol-binding.md
 */
export function cloudEvents({ types }: CloudEventsOptions): MiddlewareHandler {
  if (types.length === 0) {
    throw new Error('cloudEvents() needs at least one accepted event type')
  }
  const accepted = types.join(', ')
  return async function cloudEvents(c, next) {
    // A string body: the SDK parses JSON data from strings but leaves Buffers untouched.
    const body = await c.req.text()
    const headers = Object.fromEntries(c.req.raw.headers)
    let decoded: CloudEvent<unknown> | CloudEvent<unknown>[]
    try {
      // The SDK types its result as the CloudEventV1 interface; the values are CloudEvent instances.
      decoded = HTTP.toEvent<unknown>({ headers, body }) as
        CloudEvent<unknown> | CloudEvent<unknown>[]
    } catch (err) {
      throw toBadRequest(err)
    }
    const events = Array.isArray(decoded) ? decoded : [decoded]
    if (events.length === 0) {
      throw new BadRequestError('the request holds no CloudEvent (an empty batch)')
    }
    for (const event of events) {
      try {
        event.validate()
      } catch (err) {
        throw toBadRequest(err)
      }
      if (!types.includes(event.type)) {
        throw new BadRequestError(`unsupported event type "${event.type}"; expected ${accepted}`)
      }
    }
    c.set('cloudEvents', events)
    await next()
  }
}

function toBadRequest(err: unknown): BadRequestError {
  if (err instanceof SyntaxError) {
    return new BadRequestError(`malformed JSON body: ${err.message}`)
  }
  if (err instanceof ValidationError) {
    const problems = (err.errors ?? []).map(describeProblem).filter(Boolean)
    return new BadRequestError(
      `not a valid CloudEvent: ${err.message}`,
      problems.length > 0 ? problems : undefined
    )
  }
  if (err instanceof TypeError) {
    return new BadRequestError(`not a valid CloudEvent: ${err.message}`)
  }
  return new BadRequestError(`could not decode the request: ${String(err)}`)
}

function describeProblem(problem: unknown): string {
  if (typeof problem === 'string') {
    return problem
  }
  if (problem && typeof problem === 'object') {
    const { instancePath, message } = problem as { instancePath?: string; message?: string }
    return [instancePath, message].filter(Boolean).join(' ')
  }
  return ''
}
