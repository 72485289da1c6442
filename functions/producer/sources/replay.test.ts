import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'

import { silentLogger } from '../../../shared/logger.ts'
import { loadSample } from '../../../tests/fixtures/opensky.ts'
import { statesEventSource } from '../events.ts'
import { createProducerMetrics } from '../metrics.ts'
import { createRecorder, recordingPath } from './record.ts'
import { createReplaySource } from './replay.ts'
import type { PollResult } from './source.ts'

const FIXTURES = fileURLToPath(new URL('../../../tests/fixtures/opensky/', import.meta.url))
const NOW = Date.UTC(2026, 2, 10, 12)
const NOW_S = NOW / 1000

const folders: string[] = []
async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'skytrail-replay-'))
  folders.push(folder)
  return folder
}
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })))
})

/** A replay source of `path`: at recorded speed, looping, gaps up to 60 s, unless `options` say. */
function replay(
  path: string,
  options: Partial<Omit<Parameters<typeof createReplaySource>[0], 'path'>> = {}
) {
  return createReplaySource({
    path,
    speed: 1,
    loop: true,
    maxGapSeconds: 60,
    logger: silentLogger,
    ...options,
  })
}

/** A folder of empty responses, one file `states-<name>.json` per entry, with its `time`. */
async function folderOfResponses(responses: [name: string | number, time: number][]) {
  const folder = await tempFolder()
  for (const [name, time] of responses) {
    await writeFile(join(folder, `states-${name}.json`), JSON.stringify({ time, states: [] }))
  }
  return folder
}

function states(result: PollResult) {
  if (result.kind !== 'states') {
    throw new Error(`expected states, got ${result.kind}: ${JSON.stringify(result)}`)
  }
  return result.envelope
}

describe('replay source', () => {
  it('plays a folder of real responses in path order, moved to the current time', async () => {
    const source = await replay(FIXTURES)
    const first = states(await source.poll(NOW))
    const original = loadSample('sample-1')
    expect(first.time).toBe(NOW_S)
    expect(first.states).toHaveLength(46)
    // rows keep their recorded age: time_position and last_contact move with the envelope
    const row = first.states![0] as unknown[]
    const recorded = original.states![0] as unknown[]
    expect(row[4]).toBe((recorded[4] as number) + NOW_S - original.time)
    expect(row[3]).toBe((recorded[3] as number) + NOW_S - original.time)
    expect(row.slice(5)).toEqual(recorded.slice(5))

    // sample-1 and sample-2 are years apart: the gap is played as REPLAY_MAX_GAP_SECONDS
    expect(await source.poll(NOW + 30_000)).toMatchObject({
      kind: 'skipped',
      reason: 'not-due',
      nextPollAt: NOW + 60_000,
    })
    expect(states(await source.poll(NOW + 60_000)).states).toHaveLength(6)
    expect(states(await source.poll(NOW + 120_000)).states).toHaveLength(4181)
    // and round again
    expect(states(await source.poll(NOW + 180_000)).states).toHaveLength(46)
  })

  it('keeps the recorded pace, divided by the speed, and stops at the end without loop', async () => {
    const folder = await folderOfResponses([1000, 1010, 1030].map((time) => [time, time]))
    const source = await replay(folder, { speed: 2, loop: false, maxGapSeconds: 300 })
    expect(await source.poll(NOW)).toMatchObject({ kind: 'states', nextPollAt: NOW + 5000 })
    expect(await source.poll(NOW + 5000)).toMatchObject({
      kind: 'states',
      nextPollAt: NOW + 15_000,
    })
    expect(await source.poll(NOW + 15_000)).toMatchObject({ kind: 'states' })
    expect(await source.poll(NOW + 400_000)).toMatchObject({ kind: 'skipped', reason: 'exhausted' })
  })

  it('plays responses recorded at the same time without a wait', async () => {
    const folder = await folderOfResponses([
      ['a', 1000],
      ['b', 1000],
      ['c', 1010],
    ])
    const source = await replay(folder, { speed: 2, loop: false, maxGapSeconds: 300 })
    expect(await source.poll(NOW)).toMatchObject({ kind: 'states', nextPollAt: NOW })
    expect(await source.poll(NOW)).toMatchObject({ kind: 'states', nextPollAt: NOW + 5000 })
  })

  it('waits the max gap before playing a single looped response again', async () => {
    const source = await replay(join(FIXTURES, 'sample-2.json'))
    expect(await source.poll(NOW)).toMatchObject({ kind: 'states', nextPollAt: NOW + 60_000 })
    expect(await source.poll(NOW + 30_000)).toMatchObject({ kind: 'skipped', reason: 'not-due' })
  })

  it('moves time forward even when responses are played faster than one per second', async () => {
    const source = await replay(join(FIXTURES, 'sample-2.json'), { speed: 1000, maxGapSeconds: 1 })
    const times: number[] = []
    for (let poll = 0; poll < 3; poll++) {
      times.push(states(await source.poll(NOW + poll * 2)).time)
    }
    expect(times).toEqual([NOW_S, NOW_S + 1, NOW_S + 2])
  })

  it('reports a bad recording as a failed poll and goes on with the next', async () => {
    const folder = await tempFolder()
    await writeFile(join(folder, 'a.json'), '{"time": 5, "states": [')
    await writeFile(join(folder, 'b.json'), JSON.stringify({ time: 6, states: null }))
    const source = await replay(folder, { loop: false, maxGapSeconds: 10 })
    expect(await source.poll(NOW)).toMatchObject({ kind: 'failed', errorKind: 'bad_response' })
    expect(states(await source.poll(NOW + 10_000))).toEqual({ time: NOW_S + 10, states: null })
  })

  it('names its events with the one event-source helper', async () => {
    const source = await replay(join(FIXTURES, 'sample-2.json'))
    expect(source.eventSource).toBe(statesEventSource('replay'))
    expect(source.eventSource).toBe('/skytrail/producer/replay')
  })

  it('refuses a path without responses', async () => {
    await expect(replay(await tempFolder())).rejects.toThrow(
      /holds no \.json or \.json\.gz responses/
    )
  })
})

describe('recorder', () => {
  it('saves the body byte for byte, gzipped, in a folder per UTC day, and replay reads it', async () => {
    const folder = await tempFolder()
    const save = createRecorder({
      dir: folder,
      logger: silentLogger,
      metrics: createProducerMetrics(new Registry()),
    })
    const body =
      '{"time":1604921480,"states":[["3c6703","DLH453  ","Germany",1604921480,1604921480,11.7085,48.3374,541.02,false,64.2,83.56,-3.58,null,678.18,"1161",false,0,4]]}'
    const envelope = JSON.parse(body) as { time: number; states: unknown[][] }
    await save({ kind: 'ok', envelope, body, creditsRemaining: 10 })
    const path = recordingPath(folder, 1604921480)
    expect(path).toBe(join(folder, '2020-11-09', 'states-1604921480.json.gz'))
    expect(gunzipSync(await readFile(path)).toString('utf8')).toBe(body)

    const source = await replay(folder)
    const played = states(await source.poll(NOW))
    expect((played.states![0] as unknown[]).slice(5)).toEqual(envelope.states[0]!.slice(5))
  })

  it('counts a failed save instead of throwing', async () => {
    const registry = new Registry()
    const folder = await tempFolder()
    await writeFile(join(folder, 'blocker'), 'not a folder')
    const save = createRecorder({
      dir: join(folder, 'blocker'),
      logger: silentLogger,
      metrics: createProducerMetrics(registry),
    })
    await save({
      kind: 'ok',
      envelope: { time: 1, states: null },
      body: '{}',
      creditsRemaining: null,
    })
    const errors = await registry.getSingleMetric('skytrail_producer_errors_total')?.get()
    expect(errors?.values).toMatchObject([{ labels: { kind: 'record' }, value: 1 }])
  })
})
