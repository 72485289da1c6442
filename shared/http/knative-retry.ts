/**
 * The 4xx answers Knative's own senders retry: a sink not ready yet (404), a request timeout, a
 * conflict, overload. They retry 5xx too.
 * @see https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md
 */
export const RETRIED_CLIENT_ERRORS: ReadonlySet<number> = new Set([404, 408, 409, 429])

/**
 * Whether a receiver's answer refuses the event for good: a 4xx other than those Knative retries.
 * 400, 413, 422... come back the same however often the same event is sent.
 */
export function isFinalHttpStatus(status: number): boolean {
  return status >= 400 && status < 500 && !RETRIED_CLIENT_ERRORS.has(status)
}
