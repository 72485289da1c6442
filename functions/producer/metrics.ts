import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Outcome label of `skytrail_producer_polls_total`. */
export type PollOutcome =
  | 'polled'
  | 'skipped_busy'
  | 'skipped_pacing'
  | 'rate_limited'
  | 'failed'
  | 'sink_failed'
  | 'sink_rejected'

/** Reason label of `skytrail_producer_events_dropped_total`. */
export type DropReason = 'rejected' | 'too_old' | 'too_many_attempts' | 'shutdown'

/** Kind label of `skytrail_producer_errors_total`. */
export type ProducerErrorKind =
  | 'opensky_network'
  | 'opensky_timeout'
  | 'opensky_http'
  | 'opensky_unauthorized'
  | 'bad_response'
  | 'sink'
  | 'sink_rejected'
  | 'record'

export type ProducerMetrics = ReturnType<typeof createProducerMetrics>

/** The producer's Prometheus metrics, registered on the function's registry. */
export function createProducerMetrics(registry: Registry) {
  const registers = [registry]
  return {
    polls: new Counter({
      name: 'skytrail_producer_polls_total',
      help: 'Ticks by source and outcome',
      labelNames: ['source', 'outcome'] as const,
      registers,
    }),
    // Labelled so that a source without credits (simulated, replayed) exports no series at all,
    // rather than a gauge at 0 that reads as an exhausted budget.
    creditsRemaining: new Gauge({
      name: 'skytrail_producer_opensky_credits_remaining',
      help: 'OpenSky API credits left today (X-Rate-Limit-Remaining of the last response)',
      labelNames: ['source'] as const,
      registers,
    }),
    statesEmitted: new Counter({
      name: 'skytrail_producer_states_emitted_total',
      help: 'State vectors delivered to the sink',
      registers,
    }),
    eventsEmitted: new Counter({
      name: 'skytrail_producer_events_emitted_total',
      help: 'CloudEvents delivered to the sink',
      registers,
    }),
    bytesEmitted: new Counter({
      name: 'skytrail_producer_event_bytes_total',
      help: 'Bytes of event data (JSON) delivered to the sink',
      registers,
    }),
    eventsDropped: new Counter({
      name: 'skytrail_producer_events_dropped_total',
      help: 'Events given up: refused for good by the sink, undelivered for too long or too often, or at shutdown',
      labelNames: ['reason'] as const,
      registers,
    }),
    pendingEvents: new Gauge({
      name: 'skytrail_producer_pending_events',
      help: 'Events of failed deliveries waiting to be sent again on the next tick',
      registers,
    }),
    rowsDropped: new Counter({
      name: 'skytrail_producer_rows_dropped_total',
      help: 'Rows without a usable icao24 (not an array of 17+ fields with a string first)',
      registers,
    }),
    errors: new Counter({
      name: 'skytrail_producer_errors_total',
      help: 'Failures by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    pollDuration: new Histogram({
      name: 'skytrail_producer_poll_duration_seconds',
      help: 'Duration of ticks that polled: fetch, bucket and deliver',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    lastDataTime: new Gauge({
      name: 'skytrail_producer_last_data_time_seconds',
      help: 'OpenSky time of the last poll delivered to the sink (unix seconds)',
      registers,
    }),
  }
}
