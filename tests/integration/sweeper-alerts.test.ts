import type pg from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'

import { applyAlert, evaluateFreshness } from '../../functions/sweeper/alerts.ts'
import { readPipelineFreshness } from '../../shared/db/freshness.ts'
import { ALERT_CLEARED_EVENT_TYPE, ALERT_RAISED_EVENT_TYPE } from '../../shared/events/index.ts'
import {
  ALERT_EVENT_SOURCE,
  pipelineAlertEventDataSchema,
} from '../../shared/events/pipeline-alert.ts'
import { capturingLogger } from '../helpers/logger.ts'
import { useTestDatabase } from '../helpers/postgres.ts'
import type { AlertReceiver } from '../helpers/sweeper.ts'
import { createTestSweeper, startAlertReceiver } from '../helpers/sweeper.ts'

const database = useTestDatabase()
const pools: pg.Pool[] = []
let receiver: AlertReceiver

async function rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  return (await database().pool.query<T>(text, values)).rows
}

/** The processor's last write was `secondsAgo` seconds ago (server time). */
async function lastWrite(secondsAgo: number) {
  await database().pool.query(
    `INSERT INTO pipeline_status (stream, last_event_id, last_data_time, last_write_at)
     VALUES ('0', 'e1', now(), now() - make_interval(secs => $1))
     ON CONFLICT (stream) DO UPDATE SET last_write_at = excluded.last_write_at`,
    [secondsAgo]
  )
}

function sweeper(options: { sink?: boolean; logger?: ReturnType<typeof capturingLogger> } = {}) {
  const env: Record<string, string> = { FRESHNESS_THRESHOLD_SECONDS: '300' }
  if (options.sink !== false) {
    env.K_SINK = receiver.url
    env.K_CE_OVERRIDES = '{"extensions":{"cluster":"test"}}'
  }
  return createTestSweeper(database().url, env, {
    pools,
    ...(options.logger ? { logger: options.logger.logger } : {}),
  })
}

function summary(events: { type: string; subject?: string | undefined }[]) {
  return events.map((event) => `${event.subject ?? ''} ${event.type}`)
}

const RAISED = `data-freshness ${ALERT_RAISED_EVENT_TYPE}`
const CLEARED = `data-freshness ${ALERT_CLEARED_EVENT_TYPE}`

beforeEach(async () => {
  receiver = await startAlertReceiver()
  await database().pool.query(
    'TRUNCATE pipeline_status, pipeline_alert_events, pipeline_alerts, sweeper_runs'
  )
})

afterEach(async () => {
  await receiver.close()
})

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()))
})

describe('sweeper: data-freshness alert', () => {
  it('raises once and clears once across ticks: one warn line, one event and a gauge each way', async () => {
    const logs = capturingLogger()
    const app = sweeper({ logger: logs })

    const first = await app.tick()
    expect(first.status).toBe(200)
    expect(first.body.freshness).toMatchObject({ lastWriteAt: null, ageSeconds: null, stale: true })
    expect(first.body.freshness.message).toMatch(/no data written yet/)
    expect(first.body.alerts).toMatchObject({
      raised: ['data-freshness'],
      cleared: [],
      active: ['data-freshness'],
      notifications: { enabled: true, sent: 1, failed: 0, pending: 0 },
    })
    expect(await metric(app.app, 'skytrail_alert_active{alert="data-freshness"')).toBe(1)

    const second = await app.tick()
    expect(second.body.alerts).toMatchObject({
      raised: [],
      cleared: [],
      active: ['data-freshness'],
    })

    await lastWrite(5)
    const third = await app.tick()
    expect(third.body.freshness).toMatchObject({ stale: false })
    expect(third.body.freshness.ageSeconds).toBeGreaterThanOrEqual(5)
    expect(third.body.alerts).toMatchObject({ raised: [], cleared: ['data-freshness'], active: [] })
    expect(await metric(app.app, 'skytrail_alert_active{alert="data-freshness"')).toBe(0)
    expect(await metric(app.app, 'skytrail_data_age_seconds')).toBeGreaterThanOrEqual(5)

    const fourth = await app.tick()
    expect(fourth.body.alerts).toMatchObject({ raised: [], cleared: [] })

    expect(summary(receiver.accepted)).toEqual([RAISED, CLEARED])
    const [raised, cleared] = receiver.accepted
    expect(raised).toMatchObject({ source: ALERT_EVENT_SOURCE, cluster: 'test' })
    const raisedData = pipelineAlertEventDataSchema.parse(raised?.data)
    expect(raisedData).toMatchObject({ alert: 'data-freshness', state: 'raised', value: null })
    expect(raisedData.message).toMatch(/no data written yet/)
    const clearedData = pipelineAlertEventDataSchema.parse(cleared?.data)
    expect(clearedData).toMatchObject({ state: 'cleared', threshold: 300 })
    expect(clearedData.value).toBeGreaterThanOrEqual(5)
    expect(clearedData.clearedAt).not.toBeNull()

    const alertLines = logs.lines.filter((line) => line.alert === 'data-freshness')
    expect(alertLines.map((line) => [line.level, line.state])).toEqual([
      ['warn', 'raised'],
      ['warn', 'cleared'],
    ])
    const [row] = await rows<{ active: boolean; raised_at: Date; cleared_at: Date }>(
      `SELECT active, raised_at, cleared_at FROM pipeline_alerts WHERE name = 'data-freshness'`
    )
    expect(row?.active).toBe(false)
    expect(row?.cleared_at.getTime()).toBeGreaterThanOrEqual(row?.raised_at.getTime() ?? Infinity)
  })

  it('raises when the newest write is older than the threshold, not before', async () => {
    await lastWrite(200)
    const app = sweeper()
    expect((await app.tick()).body.alerts.raised).toEqual([])

    await lastWrite(400)
    const { body } = await app.tick()
    expect(body.freshness).toMatchObject({ stale: true })
    expect(body.freshness.message).toMatch(/no data written for 40\d s \(threshold 300 s\)/)
    expect(body.alerts.raised).toEqual(['data-freshness'])
    expect(summary(receiver.accepted)).toEqual([RAISED])
  })

  it('keeps the alert state across restarts: a new sweeper does not raise it again', async () => {
    await sweeper().tick()
    const { body } = await sweeper().tick()

    expect(body.alerts).toMatchObject({ raised: [], active: ['data-freshness'] })
    expect(summary(receiver.accepted)).toEqual([RAISED])
  })

  it('raises and clears once when two sweepers tick at the same time', async () => {
    const [a, b] = [sweeper(), sweeper()]
    const raising = await Promise.all([a.tick(), b.tick()])
    await lastWrite(0)
    const clearing = await Promise.all([a.tick(), b.tick()])

    expect(raising.flatMap((tick) => tick.body.alerts.raised)).toEqual(['data-freshness'])
    expect(clearing.flatMap((tick) => tick.body.alerts.cleared)).toEqual(['data-freshness'])
    expect(summary(receiver.accepted)).toEqual([RAISED, CLEARED])
  })

  it('drops a measurement older than the stored one: a slow overlapping tick re-raises nothing', async () => {
    await sweeper().tick()
    // Tick A reads stale data, then is held up (a Kafka lag probe, say) before it applies it.
    await lastWrite(1200)
    const reading = evaluateFreshness(await readPipelineFreshness(database().pool), 300)
    // Meanwhile the processor writes and tick B measures and clears.
    await lastWrite(0)
    expect((await sweeper().tick()).body.alerts).toMatchObject({ cleared: ['data-freshness'] })

    const late = await applyAlert(database().pool, reading, { queueEvent: true })
    expect(late.transition).toBeNull()
    expect(await rows('SELECT active FROM pipeline_alerts')).toEqual([{ active: false }])
    expect(await rows('SELECT type FROM pipeline_alert_events ORDER BY id')).toEqual([
      { type: ALERT_RAISED_EVENT_TYPE },
      { type: ALERT_CLEARED_EVENT_TYPE },
    ])
  })

  it('keeps an event the sink refused and sends it, in order, once the sink is back', async () => {
    const app = sweeper()
    receiver.refuseWith = 503

    const raising = await app.tick()
    expect(raising.status).toBe(200)
    expect(raising.body.alerts).toMatchObject({
      raised: ['data-freshness'],
      notifications: { sent: 0, failed: 1, pending: 1 },
    })
    expect(raising.body.alerts.notifications).toMatchObject({ error: 'K_SINK answered 503' })

    // Cleared while the sink is still down: both transitions wait, in order.
    await lastWrite(0)
    const clearing = await app.tick()
    expect(clearing.body.alerts).toMatchObject({
      cleared: ['data-freshness'],
      notifications: { sent: 0, failed: 1, pending: 2 },
    })

    receiver.refuseWith = undefined
    const recovered = await app.tick()
    expect(recovered.body.alerts).toMatchObject({
      raised: [],
      cleared: [],
      notifications: { sent: 2, failed: 0, pending: 0 },
    })
    expect(summary(receiver.accepted)).toEqual([RAISED, CLEARED])
    // Each attempt carried the same event id, so a receiver can drop a copy.
    expect(receiver.accepted[0]?.id).toBe(receiver.refused[0]?.id)

    await app.tick()
    expect(receiver.accepted).toHaveLength(2)
    const outbox = await rows<{ attempts: number; sent: boolean; last_error: string | null }>(
      'SELECT attempts, sent_at IS NOT NULL AS sent, last_error FROM pipeline_alert_events ORDER BY id'
    )
    expect(outbox).toEqual([
      { attempts: 3, sent: true, last_error: null },
      { attempts: 1, sent: true, last_error: null },
    ])
  })

  it('sets aside an event the sink refuses for good, so later events still go out', async () => {
    const logs = capturingLogger()
    const app = sweeper({ logger: logs })
    receiver.refuseWith = 400
    const raising = await app.tick()
    expect(raising.body.alerts.notifications).toMatchObject({
      sent: 0,
      failed: 0,
      refused: 1,
      pending: 0,
      error: 'K_SINK answered 400',
    })
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ level: 'error', refused: 1, error: 'K_SINK answered 400' })
    )

    receiver.refuseWith = undefined
    await lastWrite(0)
    const clearing = await app.tick()
    expect(clearing.body.alerts.notifications).toMatchObject({ sent: 1, refused: 0, pending: 0 })
    await app.tick()
    expect(summary(receiver.accepted)).toEqual([CLEARED])
    expect(summary(receiver.refused)).toEqual([RAISED])
    expect(
      await rows(
        'SELECT attempts, refused_at IS NOT NULL AS refused, sent_at IS NOT NULL AS sent, last_error FROM pipeline_alert_events ORDER BY id'
      )
    ).toEqual([
      { attempts: 1, refused: true, sent: false, last_error: 'K_SINK answered 400' },
      { attempts: 1, refused: false, sent: true, last_error: null },
    ])
  })

  it('clears a Kafka lag alert left active when the lag check is turned off', async () => {
    await lastWrite(0)
    await database().pool.query(
      `INSERT INTO pipeline_alerts (name, active, value, threshold, raised_at, measured_at)
       VALUES ('kafka-lag', true, 5000, 1000, now() - interval '1 hour', now() - interval '1 hour')`
    )
    const { body } = await sweeper().tick()
    expect(body.alerts).toMatchObject({ cleared: ['kafka-lag'], active: [] })
    expect(summary(receiver.accepted)).toEqual([`kafka-lag ${ALERT_CLEARED_EVENT_TYPE}`])

    // Nothing more once it is cleared.
    expect((await sweeper().tick()).body.alerts).toMatchObject({ cleared: [], active: [] })
  })

  it('logs and stores alerts without K_SINK, and queues no events', async () => {
    const logs = capturingLogger()
    const { body } = await sweeper({ sink: false, logger: logs }).tick()

    expect(body.alerts).toMatchObject({
      raised: ['data-freshness'],
      notifications: { enabled: false },
    })
    expect(logs.lines.filter((line) => line.alert === 'data-freshness')).toHaveLength(1)
    expect(await rows('SELECT * FROM pipeline_alert_events')).toEqual([])
    expect(receiver.accepted).toEqual([])
  })
})

/** The value of the first sample whose line starts with `prefix` on /metrics. */
async function metric(
  app: { request: (path: string) => Response | Promise<Response> },
  prefix: string
): Promise<number | undefined> {
  const text = await (await app.request('/metrics')).text()
  const line = text.split('\n').find((candidate) => candidate.startsWith(prefix))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}
