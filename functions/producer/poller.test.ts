import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'

import { silentLogger } from '../../shared/logger.ts'
import { loadSample } from '../../tests/fixtures/opensky.ts'
import {
  fakeSource,
  memorySink,
  type MemorySinkOptions,
  statesResult,
} from '../../tests/fixtures/producer.ts'
import type { StatesEvent } from './events.ts'
import { createProducerMetrics } from './metrics.ts'
import { createPoller, type PendingLimits } from './poller.ts'
import { type EventSink, SinkError } from './sinks/sink.ts'
import type { PollResult } from './sources/source.ts'

const NOW = Date.UTC(2026, 2, 10, 12)

function setup(
  results: (PollResult | Promise<PollResult>)[],
  sinkOptions: MemorySinkOptions | number = 0,
  pendingLimits?: PendingLimits
) {
  const registry = new Registry()
  const source = fakeSource(results)
  const sink = memorySink(sinkOptions)
  const clock = { now: NOW }
  const poller = createPoller({
    source,
    sink,
    buckets: 6,
    logger: silentLogger,
    metrics: createProducerMetrics(registry),
    pendingLimits,
    now: () => clock.now,
  })
  const metric = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values
  return { poller, source, sink, metric, clock }
}

const ids = (events: readonly StatesEvent[] | undefined) => (events ?? []).map((event) => event.id)

describe('poller', () => {
  it('polls, buckets and delivers one event per bucket, and reports it', async () => {
    const { poller, sink, metric } = setup([
      statesResult(loadSample('sample-1'), { creditsRemaining: 3997, nextPollAt: NOW + 64_800 }),
    ])
    const report = await poller.tick()
    expect(report).toMatchObject({
      status: 'polled',
      dataTime: 1604921480,
      states: 46,
      events: 6,
      bytes: 600,
      creditsRemaining: 3997,
      nextPollAt: new Date(NOW + 64_800).toISOString(),
    })
    expect(sink.delivered).toHaveLength(1)
    expect(sink.delivered[0]!.map((event) => event.partitionkey)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
    ])
    expect(await metric('skytrail_producer_states_emitted_total')).toMatchObject([{ value: 46 }])
    expect(await metric('skytrail_producer_opensky_credits_remaining')).toMatchObject([
      { labels: { source: 'simulate' }, value: 3997 },
    ])
    expect(await metric('skytrail_producer_polls_total')).toMatchObject([
      { labels: { source: 'simulate', outcome: 'polled' }, value: 1 },
    ])
  })

  it('exports no credits for a source that has none, instead of a gauge at 0', async () => {
    const { poller, metric } = setup([statesResult(loadSample('sample-1'))])
    expect((await poller.tick()).status).toBe('polled')
    expect(await metric('skytrail_producer_opensky_credits_remaining')).toEqual([])
  })

  it('never runs two polls at once: a tick during a poll is skipped as busy', async () => {
    let release!: (result: PollResult) => void
    const slow = new Promise<PollResult>((resolve) => {
      release = resolve
    })
    const { poller, source } = setup([slow])
    const first = poller.tick()
    const second = await poller.tick()
    expect(second).toMatchObject({ status: 'skipped', reason: 'busy' })
    expect(source.polls).toHaveLength(1)
    release(statesResult({ time: 1_700_000_000, states: null }))
    expect(await first).toMatchObject({ status: 'polled', states: 0, events: 6 })
  })

  it('keeps undelivered events and sends them again, same ids and oldest first, while polling on', async () => {
    const later = { ...loadSample('sample-2'), time: loadSample('sample-2').time + 60 }
    const { poller, source, sink, metric } = setup(
      [
        statesResult(loadSample('sample-2')),
        statesResult(later),
        statesResult(loadSample('sample-1')),
      ],
      2
    )
    expect(await poller.tick()).toMatchObject({
      status: 'failed',
      reason: 'sink',
      states: 6,
      pending: 6,
    })
    expect(poller.pendingEvents()).toBe(6)
    // the sink is still down, yet the tick polls: live data must not wait behind old events
    expect(await poller.tick()).toMatchObject({ status: 'failed', reason: 'sink', pending: 12 })
    expect(source.polls).toHaveLength(2)
    const recovered = await poller.tick()
    expect(recovered).toMatchObject({ status: 'polled', resent: 12, states: 46, pending: 0 })
    expect(poller.pendingEvents()).toBe(0)
    // at least once: the same event ids every time, older polls first
    const [first, second, third] = sink.sent
    expect(ids(second?.slice(0, 6))).toEqual(ids(first))
    expect(ids(third?.slice(0, 12))).toEqual(ids(second))
    expect(third?.map((event) => event.data?.time)).toEqual([
      ...Array<number>(6).fill(1518552809),
      ...Array<number>(6).fill(1518552869),
      ...Array<number>(6).fill(1604921480),
    ])
    expect(await metric('skytrail_producer_events_emitted_total')).toMatchObject([{ value: 18 }])
    expect(await metric('skytrail_producer_pending_events')).toMatchObject([{ value: 0 }])
  })

  it('drops an event the sink refuses for good at once, never sends it again, and polls on', async () => {
    const refused = '1518552809-0-of-6'
    const { poller, source, sink, metric } = setup(
      [statesResult(loadSample('sample-2')), statesResult(loadSample('sample-1'))],
      { rejects: (event) => event.id === refused }
    )
    expect(await poller.tick()).toMatchObject({
      status: 'failed',
      reason: 'sink-rejected',
      rejected: 1,
      pending: 0,
      bytes: 500,
    })
    expect(await poller.tick()).toMatchObject({ status: 'polled', resent: 0, states: 46 })
    expect(source.polls).toHaveLength(2)
    expect(sink.sent.flat().filter((event) => event.id === refused)).toHaveLength(1)
    expect(await metric('skytrail_producer_events_dropped_total')).toMatchObject([
      { labels: { reason: 'rejected' }, value: 1 },
    ])
    expect(await metric('skytrail_producer_errors_total')).toMatchObject([
      { labels: { kind: 'sink_rejected' }, value: 1 },
    ])
  })

  it('gives up on an event that keeps failing after the attempt limit; polls never stop', async () => {
    const stuck = '1518552809-3-of-6'
    const polls = [0, 60, 120, 180].map((offset) =>
      statesResult({ ...loadSample('sample-2'), time: 1518552809 + offset })
    )
    const { poller, source, sink, metric } = setup(
      polls,
      { chokesOn: (event) => event.id === stuck },
      { maxAttempts: 3, maxAgeMs: 3_600_000 }
    )
    expect(await poller.tick()).toMatchObject({ status: 'failed', reason: 'sink', pending: 1 })
    expect(await poller.tick()).toMatchObject({ status: 'failed', reason: 'sink', pending: 1 })
    // third failure: dropped; nothing is left to retry, so the tick is no failure
    expect(await poller.tick()).toMatchObject({ status: 'polled', pending: 0, expired: 1 })
    expect(await poller.tick()).toMatchObject({ status: 'polled', pending: 0, resent: 0 })
    expect(source.polls).toHaveLength(4)
    expect(sink.sent.map((batch) => batch.filter((event) => event.id === stuck).length)).toEqual([
      1, 1, 1, 0,
    ])
    // every other bucket of every poll went through
    expect(sink.delivered.flat()).toHaveLength(4 * 6 - 1)
    expect(await metric('skytrail_producer_events_dropped_total')).toMatchObject([
      { labels: { reason: 'too_many_attempts' }, value: 1 },
    ])
  })

  it('drops pending events once they are older than the age limit', async () => {
    const { poller, sink, clock, metric } = setup(
      [statesResult(loadSample('sample-2')), statesResult(loadSample('sample-1'))],
      1,
      { maxAttempts: 100, maxAgeMs: 600_000 }
    )
    expect(await poller.tick()).toMatchObject({ status: 'failed', pending: 6 })
    clock.now += 600_001
    expect(await poller.tick()).toMatchObject({
      status: 'polled',
      expired: 6,
      resent: 0,
      pending: 0,
    })
    expect(sink.sent[1]?.map((event) => event.data?.time)).toEqual(Array(6).fill(1604921480))
    expect(await metric('skytrail_producer_events_dropped_total')).toMatchObject([
      { labels: { reason: 'too_old' }, value: 6 },
    ])
  })

  it('sends pending events on a tick whose poll is skipped, and fails it while they fail', async () => {
    const skipped: PollResult = {
      kind: 'skipped',
      reason: 'pacing',
      message: 'credit budget',
      creditsRemaining: 12,
      nextPollAt: NOW + 60_000,
    }
    const { poller, sink } = setup(
      [statesResult(loadSample('sample-2')), skipped, { ...skipped }],
      2
    )
    await poller.tick()
    expect(await poller.tick()).toMatchObject({ status: 'failed', reason: 'sink', pending: 6 })
    expect(await poller.tick()).toMatchObject({
      status: 'skipped',
      reason: 'pacing',
      resent: 6,
      pending: 0,
    })
    expect(sink.delivered).toHaveLength(1)
  })

  it('answers a tick that arrives while one is still delivering as busy, without polling', async () => {
    let release!: () => void
    let sending!: () => void
    const started = new Promise<void>((resolve) => {
      sending = resolve
    })
    const slowSink: EventSink = {
      kind: 'http',
      send(events) {
        sending()
        return new Promise((resolve) => {
          release = () => resolve({ bytes: events.length })
        })
      },
      close: () => Promise.resolve(),
    }
    const registry = new Registry()
    const source = fakeSource([statesResult(loadSample('sample-2'))])
    const poller = createPoller({
      source,
      sink: slowSink,
      buckets: 6,
      logger: silentLogger,
      metrics: createProducerMetrics(registry),
    })
    const first = poller.tick()
    await started
    // what a PingSource retry after a timed-out request looks like
    expect(await poller.tick()).toMatchObject({ status: 'skipped', reason: 'busy' })
    expect(source.polls).toHaveLength(1)
    release()
    expect(await first).toMatchObject({ status: 'polled', events: 6 })
  })

  it('reports skips and source failures with the next poll time', async () => {
    const { poller, metric } = setup([
      {
        kind: 'skipped',
        reason: 'pacing',
        message: 'credit budget: next poll at later',
        creditsRemaining: 12,
        nextPollAt: NOW + 5000,
      },
      {
        kind: 'failed',
        errorKind: 'bad_response',
        message: 'OpenSky sent a bad response: malformed JSON',
        creditsRemaining: null,
        nextPollAt: NOW + 64_800,
      },
    ])
    expect(await poller.tick()).toMatchObject({
      status: 'skipped',
      reason: 'pacing',
      nextPollAt: new Date(NOW + 5000).toISOString(),
    })
    expect(await poller.tick()).toMatchObject({ status: 'failed', reason: 'bad_response' })
    expect(await metric('skytrail_producer_errors_total')).toMatchObject([
      { labels: { kind: 'bad_response' }, value: 1 },
    ])
  })

  it('gives the source and the sink one deadline, the tick budget, and keeps what missed it for the next tick', async () => {
    // A sink that gives up when the tick's deadline passes, and (so that a missing deadline
    // shows) delivers at once without one.
    const sink: EventSink = {
      kind: 'http',
      send: async (events, deadline) => {
        if (!deadline) {
          return { bytes: 0 }
        }
        await new Promise((resolve) => deadline.addEventListener('abort', resolve))
        throw new SinkError('out of time', { undelivered: events })
      },
      close: () => Promise.resolve(),
    }
    const source = fakeSource([statesResult(loadSample('sample-1'))])
    const poll = source.poll.bind(source)
    let sourceDeadline: AbortSignal | undefined
    source.poll = (nowMs, deadline) => {
      sourceDeadline = deadline
      return poll(nowMs)
    }
    const poller = createPoller({
      source,
      sink,
      buckets: 6,
      logger: silentLogger,
      metrics: createProducerMetrics(new Registry()),
      tickBudgetMs: 50,
    })
    expect(await poller.tick()).toMatchObject({ status: 'failed', reason: 'sink', pending: 6 })
    // the source's retries end at the same deadline
    expect(sourceDeadline?.aborted).toBe(true)
  })
})
