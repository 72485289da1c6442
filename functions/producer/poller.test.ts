import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'

import { silentLogger } from '../../shared/logger.ts'
import { loadSample } from '../../tests/fixtures/opensky.ts'
import { fakeSource, memorySink, statesResult } from '../../tests/fixtures/producer.ts'
import { createProducerMetrics } from './metrics.ts'
import { createPoller } from './poller.ts'
import type { PollResult } from './sources/source.ts'

const NOW = Date.UTC(2026, 2, 10, 12)

function setup(results: (PollResult | Promise<PollResult>)[], sinkFailures = 0) {
  const registry = new Registry()
  const source = fakeSource(results)
  const sink = memorySink(sinkFailures)
  const poller = createPoller({
    source,
    sink,
    buckets: 6,
    logger: silentLogger,
    metrics: createProducerMetrics(registry),
    now: () => NOW,
  })
  const metric = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values
  return { poller, source, sink, metric }
}

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
      { value: 3997 },
    ])
    expect(await metric('skytrail_producer_polls_total')).toMatchObject([
      { labels: { source: 'simulate', outcome: 'polled' }, value: 1 },
    ])
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

  it('keeps undelivered events and sends them first on the next tick, before polling', async () => {
    const { poller, source, sink } = setup(
      [statesResult(loadSample('sample-2')), statesResult(loadSample('sample-1'))],
      2
    )
    expect(await poller.tick()).toMatchObject({ status: 'failed', reason: 'sink', states: 6 })
    expect(poller.pendingEvents()).toBe(6)
    // the sink is still down: no new poll spends credits
    expect(await poller.tick()).toMatchObject({ status: 'failed', reason: 'sink' })
    expect(source.polls).toHaveLength(1)
    const recovered = await poller.tick()
    expect(recovered).toMatchObject({ status: 'polled', resent: 6, states: 46 })
    expect(poller.pendingEvents()).toBe(0)
    expect(sink.delivered.map((batch) => batch[0]!.data?.time)).toEqual([1518552809, 1604921480])
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
})
