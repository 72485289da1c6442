import type { StatesEvent } from '../events.ts'

/** Where the producer's events go: Kafka, or an HTTP endpoint in CloudEvents binary mode. */
export interface EventSink {
  readonly kind: 'kafka' | 'http'
  /** Delivers every event or throws a {@link SinkError} naming the ones not delivered. */
  send(events: readonly StatesEvent[]): Promise<SinkResult>
  close(): Promise<void>
}

export interface SinkResult {
  /** Bytes of event data (the JSON value or body) delivered. */
  bytes: number
}

export class SinkError extends Error {
  override name = 'SinkError'
  /** Events to send again: all of them when the sink cannot tell which went through. */
  readonly undelivered: readonly StatesEvent[]

  constructor(message: string, undelivered: readonly StatesEvent[], options?: ErrorOptions) {
    super(message, options)
    this.undelivered = undelivered
  }
}
