import type { StatesEvent } from '../events.ts'

/** Where the producer's events go: Kafka, or an HTTP endpoint in CloudEvents binary mode. */
export interface EventSink {
  readonly kind: 'kafka' | 'http'
  /**
   * Delivers every event or throws a {@link SinkError} naming the ones not delivered: those worth
   * sending again and those refused for good. Anything else thrown means none was delivered and
   * all may be sent again. Once `deadline` aborts, events not yet delivered are given up for this
   * call (undelivered, so sent again later) instead of being retried.
   */
  send(events: readonly StatesEvent[], deadline?: AbortSignal): Promise<SinkResult>
  close(): Promise<void>
}

export interface SinkResult {
  /** Bytes of event data (the JSON value or body) delivered. */
  bytes: number
}

export interface SinkFailures {
  /** Events to send again (a transient failure): all of them when the sink cannot tell which went through. */
  undelivered?: readonly StatesEvent[]
  /** Events the receiver refused for good (too large, malformed, topic too small): never sent again. */
  rejected?: readonly StatesEvent[]
  /** Bytes of the events that did go through. */
  bytes?: number
}

export class SinkError extends Error {
  override name = 'SinkError'
  readonly undelivered: readonly StatesEvent[]
  readonly rejected: readonly StatesEvent[]
  readonly bytes: number

  constructor(message: string, failures: SinkFailures, options?: ErrorOptions) {
    super(message, options)
    this.undelivered = failures.undelivered ?? []
    this.rejected = failures.rejected ?? []
    this.bytes = failures.bytes ?? 0
  }
}
