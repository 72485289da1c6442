import type { CloudEventV1 } from 'cloudevents'
import { CloudEvent, HTTP, ValidationError } from 'cloudevents'
import type { MiddlewareHandler } from 'hono'

import { BadRequestError } from './errors.ts'

declare module 'hono' {
  interface ContextVariableMap {
    /** The CloudEvents of the request: one in binary or structured mode, any number in batched mode. */
    cloudEvents: CloudEvent<unknown>[]
    /** How the request carried them, so a batch is answered as a batch even when it holds one. */
    cloudEventsMode: ContentMode
  }
}

export type ContentMode = 'binary' | 'structured' | 'batched'

export interface CloudEventsOptions {
  /** The event types the function handles; any other type is a 400 naming the accepted ones. */
  types: readonly string[]
}

/**
 * Attributes every CloudEvent must have. The SDK makes up an `id` and a `specversion` when they
 * are missing, which would turn every redelivery of an event without an id into a new event, so
 * they are checked on the request itself, before the SDK sees it.
 */
const REQUIRED_ATTRIBUTES = ['specversion', 'id', 'source', 'type'] as const

/**
 * Longest attribute value taken, in UTF-8 bytes. The processor keys its inbox by source and id
 * and its stream status by partition key: PostgreSQL refuses index entries over 2,704 bytes.
 */
const MAX_ATTRIBUTE_BYTES = 1024

/** RFC 3339 date-time, as the spec requires of `time`. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/**
 * Decodes the request's CloudEvents once, at the edge, with the SDK, in binary, structured or
 * batched content mode. The SDK skips spec validation in binary and structured mode, so every
 * event is validated here; malformed JSON, a missing required attribute, anything else that is
 * not a valid CloudEvent, an empty batch and an event of another type become 400. Event data
 * stays `unknown` until the handler's schema has checked it.
 * @see https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/http-protocol-binding.md
 */
export function cloudEvents({ types }: CloudEventsOptions): MiddlewareHandler {
  if (types.length === 0) {
    throw new Error('cloudEvents() needs at least one accepted event type')
  }
  const accepted = types.join(', ')
  return async function cloudEvents(c, next) {
    const headers = Object.fromEntries(c.req.raw.headers)
    requireUtf8Identity(headers)
    // A string body: the SDK parses JSON data from strings but leaves Buffers untouched.
    const body = await c.req.text()
    const mode = contentModeOf(headers['content-type'])
    let events: CloudEvent<unknown>[]
    try {
      events = decode(mode, headers, body)
    } catch (err) {
      throw toBadRequest(err)
    }
    if (events.length === 0) {
      throw new BadRequestError('the request holds no CloudEvent (an empty batch)')
    }
    // Set before the checks, so the log line of a rejected event names it.
    c.set('cloudEvents', events)
    for (const [index, event] of events.entries()) {
      try {
        event.validate()
      } catch (err) {
        throw toBadRequest(err)
      }
      checkAttributes(mode === 'batched' ? `event ${index} of the batch` : 'the event', event)
      if (!types.includes(event.type)) {
        throw new BadRequestError(`unsupported event type "${event.type}"; expected ${accepted}`)
      }
    }
    c.set('cloudEventsMode', mode)
    await next()
  }
}

const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json'

/** The media type of a Content-Type header, without parameters, in lower case. */
export const mediaTypeOf = (contentType: string | undefined) =>
  contentType?.split(';')[0]?.trim().toLowerCase()

/** The content mode by media type, as the HTTP binding defines it; any other is binary. */
function contentModeOf(contentType: string | undefined): ContentMode {
  const mediaType = mediaTypeOf(contentType)
  if (mediaType === 'application/cloudevents-batch+json') {
    return 'batched'
  }
  return mediaType === STRUCTURED_MEDIA_TYPE ? 'structured' : 'binary'
}

/**
 * Checks the required attributes on the request, then lets the SDK build the events. Structured
 * and batched bodies are parsed here, once, and the SDK is handed the parsed JSON.
 */
function decode(mode: ContentMode, headers: Record<string, string>, body: string) {
  if (mode === 'binary') {
    requireAttributes('the request', (name) => headers[`ce-${name}`])
    requireReadableTime('the request', headers['ce-time'])
    // The SDK reads an application/json body that does not start with {, [ or " as one bare
    // string, so JSON after whitespace (which JSON allows) would be misread; other data stays
    // as sent.
    const data =
      mediaTypeOf(headers['content-type']) === 'application/json' ? body.trimStart() : body
    // The SDK types its result as the CloudEventV1 interface; the values are CloudEvent instances.
    return [HTTP.toEvent<unknown>({ headers, body: data }) as CloudEvent<unknown>]
  }
  const json = JSON.parse(body) as unknown
  if (mode === 'structured') {
    requireAttributes('the event', (name) => attributeOf(json, name))
    requireReadableTime('the event', attributeOf(json, 'time'))
    // The SDK knows the media type only as `application/cloudevents+json` and with
    // `; charset=utf-8` spelt just so; the body is parsed and checked to be UTF-8 already.
    const sdkHeaders = { ...headers, 'content-type': STRUCTURED_MEDIA_TYPE }
    return [HTTP.toEvent<unknown>({ headers: sdkHeaders, body: json }) as CloudEvent<unknown>]
  }
  if (!Array.isArray(json)) {
    throw new BadRequestError('a batch must be a JSON array of CloudEvents')
  }
  return json.map((element: unknown, index) => {
    requireAttributes(`event ${index} of the batch`, (name) => attributeOf(element, name))
    requireReadableTime(`event ${index} of the batch`, attributeOf(element, 'time'))
    return new CloudEvent<unknown>(element as CloudEventV1<unknown>)
  })
}

function attributeOf(event: unknown, name: string): unknown {
  return typeof event === 'object' && event !== null
    ? (event as Record<string, unknown>)[name]
    : undefined
}

function requireAttributes(where: string, valueOf: (name: string) => unknown) {
  const missing = REQUIRED_ATTRIBUTES.filter((name) => {
    const value = valueOf(name)
    return value === undefined || value === null || value === ''
  })
  if (missing.length > 0) {
    throw new BadRequestError(
      `not a valid CloudEvent: ${where} lacks the required attribute${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`
    )
  }
}

/** The SDK puts the current time in place of a `time` it cannot read. */
function requireReadableTime(where: string, time: unknown) {
  if (time !== undefined && time !== null && !(typeof time === 'string' && RFC3339.test(time))) {
    throw new BadRequestError(
      `not a valid CloudEvent: the time of ${where}, ${JSON.stringify(time)}, is not an RFC 3339 timestamp`
    )
  }
}

/**
 * The body is read as UTF-8 text, so any other charset or a compressed body would be misread:
 * a 400 names what is not supported instead of a JSON error about garbled bytes.
 */
function requireUtf8Identity(headers: Record<string, string>) {
  const encoding = headers['content-encoding']?.trim().toLowerCase()
  if (encoding && encoding !== 'identity') {
    throw new BadRequestError(
      `content-encoding ${encoding} is not supported; send the body uncompressed`
    )
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(headers['content-type'] ?? '')?.[1]
  if (charset && !/^utf-?8$/i.test(charset)) {
    throw new BadRequestError(`charset ${charset} is not supported; send UTF-8`)
  }
}

/**
 * What the SDK lets through: another spec version, an extension that is an object, text that is
 * not valid Unicode (two such ids would become the same id in PostgreSQL) or holds a NUL, and
 * values too long for an index.
 */
function checkAttributes(where: string, event: CloudEvent<unknown>) {
  if (event.specversion !== '1.0') {
    throw new BadRequestError(
      `not a valid CloudEvent: ${where} has specversion ${JSON.stringify(event.specversion)}; expected 1.0`
    )
  }
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'data_base64' || value === undefined) {
      continue
    }
    const problem = attributeProblem(value)
    if (problem) {
      throw new BadRequestError(`not a valid CloudEvent: attribute ${name} of ${where} ${problem}`)
    }
  }
}

function attributeProblem(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') {
    return undefined
  }
  if (typeof value !== 'string') {
    return 'is not a string, number or boolean'
  }
  if (!value.isWellFormed()) {
    return 'is not valid Unicode text'
  }
  if (value.includes('\0')) {
    return 'contains a NUL character, which PostgreSQL cannot store'
  }
  if (Buffer.byteLength(value) > MAX_ATTRIBUTE_BYTES) {
    return `is longer than ${MAX_ATTRIBUTE_BYTES} bytes`
  }
  return undefined
}

function toBadRequest(err: unknown): BadRequestError {
  if (err instanceof BadRequestError) {
    return err
  }
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
