import type { CloudEvent } from 'cloudevents'
import { HTTP } from 'cloudevents'

export interface BinaryRequest {
  headers: Record<string, string>
  body: string | undefined
}

/**
 * A CloudEvent as an HTTP request in binary content mode, ready for `fetch`: the attributes as
 * `ce-*` headers (unset ones left out) and the data as the body. The SDK already serialises JSON
 * data to a string; encoding it again would send a quoted string.
 * @see https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/http-protocol-binding.md#31-binary-content-mode
 */
export function toBinaryRequest(event: CloudEvent<unknown>): BinaryRequest {
  const message = HTTP.binary(event)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) {
      headers[name] = String(value)
    }
  }
  const { body } = message
  return {
    headers,
    body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
  }
}
