import type { Logger } from '../../shared/logger.ts'
import { type StatesEvent, toStatesEvents } from './events.ts'
import type { DropReason, PollOutcome, ProducerMetrics } from './metrics.ts'
import { type EventSink, SinkError } from './sinks/sink.ts'
import type { PollResult, StatesSource } from './sources/source.ts'

/** What one tick did; the JSON answer to a PingSource tick and the tick's log line. */
export interface TickReport {
  status: 'polled' | 'skipped' | 'failed'
  /**
   * Why a tick was skipped or failed: busy, pacing, rate-limited, not-due, exhausted, the source's
   * error, `sink` (delivery failed, worth a retry) or `sink-rejected` (events refused for good).
   */
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
  /** Events of earlier failed deliveries delivered by this tick. */
  resent: number
  /** Events not delivered, kept to be sent again on the next tick. */
  pending: number
  /** Events the sink refused for good this tick (dropped, never sent again). */
  rejected: number
  /** Pending events given up this tick: too old, or too many failed deliveries. */
  expired: number
  creditsRemaining: number | null
  /** When the next poll can happen (ISO); null when the tick schedule alone decides. */
  nextPollAt: string | null
}

/** How long undelivered events are kept for another try. */
export interface PendingLimits {
  /** Dropped once this much older than the tick that polled them, ms. */
  maxAgeMs: number
  /** Dropped after this many failed deliveries (a PingSource retry is one more). */
  maxAttempts: number
}

export const DEFAULT_PENDING_LIMITS: Readonly<PendingLimits> = Object.freeze({
  maxAgeMs: 15 * 60_000,
  maxAttempts: 20,
})

export interface PollerOptions {
  source: StatesSource
  sink: EventSink
  buckets: number
  logger: Logger
  metrics: ProducerMetrics
  pendingLimits?: PendingLimits
  /** From the start of a tick to the end of its delivery; unset, the retries of source and sink decide. */
  tickBudgetMs?: number
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
  /** Drops (and counts) the events still waiting to be sent again: the producer is shutting down. */
  dropPending(): void
  readonly source: StatesSource
  readonly sink: EventSink
}

interface PendingEvent {
  event: StatesEvent
  /** Start of the tick that polled it, ms. */
  polledAt: number
  /** Failed deliveries so far. */
  attempts: number
}

interface Delivery {
  bytes: number
  delivered: PendingEvent[]
  /** Failed, worth another try. */
  undelivered: PendingEvent[]
  /** Refused for good. */
  rejected: PendingEvent[]
  problem?: string
}

const DROP_MESSAGES: Record<DropReason, string> = {
  rejected: 'the sink refused them for good',
  too_old: 'undelivered for too long',
  too_many_attempts: 'undelivered after too many attempts',
  shutdown: 'undelivered when the producer shut down',
}

/**
 * The producer's core: one tick = at most one OpenSky request and one delivery. The delivery
 * carries the events of earlier failed deliveries first, then this tick's poll, which runs
 * whether or not the sink is back, so live data keeps flowing past an event that keeps failing.
 * Events refused for good are dropped at once; the others are kept, with the same ids (the
 * processor deduplicates), until they are too old or have failed too often. A transient failure
 * answers 503 so PingSource retries the tick soon; the retries never overlap a running tick.
 */
export function createPoller(options: PollerOptions): Poller {
  const { source, sink, buckets, logger, metrics } = options
  const limits = options.pendingLimits ?? DEFAULT_PENDING_LIMITS
  const now = options.now ?? Date.now
  let running: Promise<TickReport> | undefined
  let pending: readonly PendingEvent[] = []
  let last: TickReport | null = null

  const drop = (entries: readonly PendingEvent[], reason: DropReason, problem?: string) => {
    if (entries.length === 0) {
      return
    }
    metrics.eventsDropped.inc({ reason }, entries.length)
    logger[reason === 'rejected' ? 'error' : 'warn'](
      {
        reason,
        ids: entries.map((entry) => entry.event.id),
        attempts: Math.max(...entries.map((entry) => entry.attempts)),
        problem,
      },
      `dropped ${entries.length} events: ${DROP_MESSAGES[reason]}`
    )
  }

  const deliver = async (
    entries: readonly PendingEvent[],
    deadline: AbortSignal | undefined
  ): Promise<Delivery> => {
    if (entries.length === 0) {
      return { bytes: 0, delivered: [], undelivered: [], rejected: [] }
    }
    try {
      const { bytes } = await sink.send(
        entries.map((entry) => entry.event),
        deadline
      )
      return { bytes, delivered: [...entries], undelivered: [], rejected: [] }
    } catch (err) {
      // A sink that does not say which events failed may have delivered none of them.
      const failure = err instanceof SinkError ? err : null
      const undelivered = new Set(failure ? failure.undelivered : entries.map(({ event }) => event))
      const rejected = new Set(failure?.rejected)
      return {
        bytes: failure?.bytes ?? 0,
        delivered: entries.filter(({ event }) => !undelivered.has(event) && !rejected.has(event)),
        undelivered: entries.filter(({ event }) => undelivered.has(event)),
        rejected: entries.filter(({ event }) => rejected.has(event) && !undelivered.has(event)),
        problem: err instanceof Error ? err.message : String(err),
      }
    }
  }

  const run = async (): Promise<TickReport> => {
    const startedMs = now()
    // A timer of its own, not `now`: the deadline is about real time, whatever the clock says.
    const deadline =
      options.tickBudgetMs === undefined ? undefined : AbortSignal.timeout(options.tickBudgetMs)
    const report = emptyReport(source.name, startedMs)
    const finish = (outcome: PollOutcome) => {
      report.durationMs = now() - startedMs
      metrics.polls.inc({ source: source.name, outcome })
      metrics.pendingEvents.set(pending.length)
      if (report.creditsRemaining !== null) {
        metrics.creditsRemaining.set({ source: source.name }, report.creditsRemaining)
      }
      if (report.status === 'polled') {
        metrics.pollDuration.observe(report.durationMs / 1000)
      }
      const level = report.status === 'failed' ? 'warn' : 'info'
      logger[level]({ tick: report }, tickMessage(report))
      last = report
      return report
    }

    const tooOld = pending.filter((entry) => startedMs - entry.polledAt > limits.maxAgeMs)
    pending = pending.filter((entry) => !tooOld.includes(entry))
    drop(tooOld, 'too_old')
    report.expired = tooOld.length

    const result: PollResult = await source.poll(startedMs, deadline)
    report.creditsRemaining = result.creditsRemaining
    report.nextPollAt =
      result.nextPollAt === null ? null : new Date(result.nextPollAt).toISOString()
    let fresh: PendingEvent[] = []
    if (result.kind === 'skipped') {
      report.reason = result.reason
      report.message = result.message
    } else if (result.kind === 'failed') {
      metrics.errors.inc({ kind: result.errorKind })
      report.status = 'failed'
      report.reason = result.errorKind
      report.message = result.message
    } else {
      const { events, states, droppedRows } = toStatesEvents(result.envelope, {
        source: source.eventSource,
        buckets,
      })
      report.dataTime = result.envelope.time
      report.states = states
      report.events = events.length
      report.droppedRows = droppedRows
      metrics.rowsDropped.inc(droppedRows)
      fresh = events.map((event) => ({ event, polledAt: startedMs, attempts: 0 }))
    }

    // Older events first: Kafka keeps the order within a partition.
    const delivery = await deliver([...pending, ...fresh], deadline)
    report.bytes = delivery.bytes
    // pending events have failed at least once, this poll's not yet
    report.resent = delivery.delivered.filter((entry) => entry.attempts > 0).length
    countDelivery(metrics, delivery.delivered, delivery.bytes)
    if (report.dataTime !== null && fresh.every((entry) => delivery.delivered.includes(entry))) {
      metrics.lastDataTime.set(report.dataTime)
    }

    const retried = delivery.undelivered.map((entry) => ({
      ...entry,
      attempts: entry.attempts + 1,
    }))
    pending = retried.filter((entry) => entry.attempts < limits.maxAttempts)
    drop(
      retried.filter((entry) => entry.attempts >= limits.maxAttempts),
      'too_many_attempts',
      delivery.problem
    )
    drop(delivery.rejected, 'rejected', delivery.problem)
    report.pending = pending.length
    report.rejected = delivery.rejected.length
    report.expired += retried.length - pending.length

    if (delivery.undelivered.length > 0) {
      metrics.errors.inc({ kind: 'sink' })
    }
    if (delivery.rejected.length > 0) {
      metrics.errors.inc({ kind: 'sink_rejected' })
    }
    if (report.status === 'failed') {
      return finish('failed')
    }
    if (report.pending > 0) {
      report.status = 'failed'
      report.reason = 'sink'
      report.message = `delivery failed, ${report.pending} events kept for the next tick${rejectedNote(report)}: ${delivery.problem ?? ''}`
      return finish('sink_failed')
    }
    if (delivery.rejected.length > 0) {
      report.status = 'failed'
      report.reason = 'sink-rejected'
      report.message = `${report.rejected} events refused for good by the sink and dropped: ${delivery.problem ?? ''}`
      return finish('sink_rejected')
    }
    if (result.kind === 'skipped') {
      return finish(result.reason === 'rate-limited' ? 'rate_limited' : 'skipped_pacing')
    }
    report.status = 'polled'
    return finish('polled')
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
    dropPending() {
      drop(pending, 'shutdown')
      pending = []
      metrics.pendingEvents.set(0)
    },
  }
}

function rejectedNote(report: TickReport): string {
  return report.rejected > 0 ? ` (${report.rejected} refused for good and dropped)` : ''
}

function countDelivery(metrics: ProducerMetrics, entries: readonly PendingEvent[], bytes: number) {
  metrics.eventsEmitted.inc(entries.length)
  metrics.statesEmitted.inc(
    entries.reduce((sum, { event }) => sum + (event.data?.states.length ?? 0), 0)
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
    pending: 0,
    rejected: 0,
    expired: 0,
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
