import type { Logger } from '../../shared/logger.ts'
import { type StatesEvent, toStatesEvents } from './events.ts'
import type { PollOutcome, ProducerMetrics } from './metrics.ts'
import { type EventSink, SinkError } from './sinks/sink.ts'
import type { PollResult, StatesSource } from './sources/source.ts'

/** What one tick did; the JSON answer to a PingSource tick and the tick's log line. */
export interface TickReport {
  status: 'polled' | 'skipped' | 'failed'
  /** Why a tick was skipped or failed: busy, pacing, rate-limited, not-due, exhausted, or the error. */
  reason?: string
  message?: string
  source: string
  startedAt: string
  durationMs: number
  /** OpenSky `time` of the poll (unix seconds). */
  dataTime: number | null
  /** States and events of this tick's poll (delivered unless the status is failed). */
  states: number
  events: number
  /** Bytes of event data delivered (JSON). */
  bytes: number
  droppedRows: number
  /** Events of an earlier failed delivery sent again before this tick's poll. */
  resent: number
  creditsRemaining: number | null
  /** When the next poll can happen (ISO); null when the tick schedule alone decides. */
  nextPollAt: string | null
}

export interface PollerOptions {
  source: StatesSource
  sink: EventSink
  buckets: number
  logger: Logger
  metrics: ProducerMetrics
  now?: () => number
}

export interface Poller {
  /**
   * Runs one poll: fetch, bucket, deliver. Never runs two at once: a tick while one is running
   * is answered at once with `skipped: busy`. Never throws; failures are in the report.
   */
  tick(): Promise<TickReport>
  lastReport(): TickReport | null
  /** Events of a failed delivery waiting to be sent again. */
  pendingEvents(): number
  /** Resolves when no tick is running (for shutdown). */
  idle(): Promise<void>
  readonly source: StatesSource
  readonly sink: EventSink
}

/**
 * The producer's core: one tick = at most one OpenSky request and one delivery. Events that
 * could not be delivered are kept and sent again first on the next tick, before any new poll
 * spends credits; the tick answers 503 meanwhile so PingSource retries it soon.
 */
export function createPoller(options: PollerOptions): Poller {
  const { source, sink, buckets, logger, metrics } = options
  const now = options.now ?? Date.now
  let running: Promise<TickReport> | undefined
  let pending: readonly StatesEvent[] = []
  let last: TickReport | null = null

  const run = async (): Promise<TickReport> => {
    const startedMs = now()
    const report = emptyReport(source.name, startedMs)
    const finish = (outcome: PollOutcome) => {
      report.durationMs = now() - startedMs
      metrics.polls.inc({ source: source.name, outcome })
      if (report.creditsRemaining !== null) {
        metrics.creditsRemaining.set(report.creditsRemaining)
      }
      if (report.status === 'polled') {
        metrics.pollDuration.observe(report.durationMs / 1000)
      }
      const level = report.status === 'failed' ? 'warn' : 'info'
      logger[level]({ tick: report }, tickMessage(report))
      last = report
      return report
    }

    if (pending.length > 0) {
      const retry = pending
      try {
        const { bytes } = await sink.send(retry)
        pending = []
        report.resent = retry.length
        report.bytes += bytes
        countDelivery(metrics, retry, bytes)
      } catch (err) {
        pending = err instanceof SinkError ? err.undelivered : retry
        metrics.errors.inc({ kind: 'sink' })
        report.status = 'failed'
        report.reason = 'sink'
        report.message = `${pending.length} events from an earlier poll still undelivered: ${(err as Error).message}`
        return finish('sink_failed')
      }
    }

    const result: PollResult = await source.poll(startedMs)
    report.creditsRemaining = result.creditsRemaining
    report.nextPollAt =
      result.nextPollAt === null ? null : new Date(result.nextPollAt).toISOString()
    if (result.kind === 'skipped') {
      report.reason = result.reason
      report.message = result.message
      return finish(result.reason === 'rate-limited' ? 'rate_limited' : 'skipped_pacing')
    }
    if (result.kind === 'failed') {
      metrics.errors.inc({ kind: result.errorKind })
      report.status = 'failed'
      report.reason = result.errorKind
      report.message = result.message
      return finish('failed')
    }

    const { events, states, droppedRows } = toStatesEvents(result.envelope, {
      source: source.eventSource,
      buckets,
    })
    report.dataTime = result.envelope.time
    report.states = states
    report.events = events.length
    report.droppedRows = droppedRows
    metrics.rowsDropped.inc(droppedRows)
    try {
      const { bytes } = await sink.send(events)
      report.status = 'polled'
      report.bytes += bytes
      countDelivery(metrics, events, bytes)
      metrics.lastDataTime.set(result.envelope.time)
      return finish('polled')
    } catch (err) {
      pending = err instanceof SinkError ? err.undelivered : events
      metrics.errors.inc({ kind: 'sink' })
      report.status = 'failed'
      report.reason = 'sink'
      report.message = `delivery failed, ${pending.length} events kept for the next tick: ${(err as Error).message}`
      return finish('sink_failed')
    }
  }

  return {
    source,
    sink,
    async tick() {
      if (running) {
        const report: TickReport = {
          ...emptyReport(source.name, now()),
          reason: 'busy',
          message: 'a poll is already running',
        }
        metrics.polls.inc({ source: source.name, outcome: 'skipped_busy' })
        logger.info({ tick: report }, tickMessage(report))
        return report
      }
      running = run().catch((err: unknown) => {
        // Sources and sinks report failures as values; this is a bug, but must not crash ticks.
        logger.error({ err }, 'tick failed unexpectedly')
        metrics.polls.inc({ source: source.name, outcome: 'failed' })
        return {
          ...emptyReport(source.name, now()),
          status: 'failed' as const,
          reason: 'internal',
          message: String(err),
        }
      })
      try {
        return await running
      } finally {
        running = undefined
      }
    },
    lastReport: () => last,
    pendingEvents: () => pending.length,
    async idle() {
      await running
    },
  }
}

function countDelivery(metrics: ProducerMetrics, events: readonly StatesEvent[], bytes: number) {
  metrics.eventsEmitted.inc(events.length)
  metrics.statesEmitted.inc(
    events.reduce((sum, event) => sum + (event.data?.states.length ?? 0), 0)
  )
  metrics.bytesEmitted.inc(bytes)
}

function emptyReport(source: string, nowMs: number): TickReport {
  return {
    status: 'skipped',
    source,
    startedAt: new Date(nowMs).toISOString(),
    durationMs: 0,
    dataTime: null,
    states: 0,
    events: 0,
    bytes: 0,
    droppedRows: 0,
    resent: 0,
    creditsRemaining: null,
    nextPollAt: null,
  }
}

function tickMessage(report: TickReport): string {
  switch (report.status) {
    case 'polled':
      return `polled ${report.states} states into ${report.events} events`
    case 'skipped':
      return `tick skipped: ${report.message ?? report.reason ?? ''}`
    default:
      return `tick failed: ${report.message ?? report.reason ?? ''}`
  }
}
