// `npm run bench:producer`: how fast the producer makes traffic and events, and how big they are.
//   simulator  create a 20,000-aircraft fleet; snapshots of it (stateAt) 5 s apart, and of the
//              default DACH fleet (600 aircraft, box filter on)
//   events     bucket a 20,000-aircraft snapshot and the real whole-world sample into 6 events
//              and serialise them as the sinks do (JSON per bucket; gzip as Kafka compresses)
//   tick       whole ticks: simulated 20,000 aircraft -> 6 CloudEvents -> HTTP POSTs (binary mode)
//              to a receiver in this process that reads every body
// Results: bench/results/producer.json.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'

import { Kafka, type KafkaMessage } from 'cloudevents'
import { Registry } from 'prom-client'

import { loadConfig } from '../functions/producer/config.ts'
import { toStatesEvents } from '../functions/producer/events.ts'
import { createProducer } from '../functions/producer/producer.ts'
import { createSimulator } from '../functions/producer/simulator/index.ts'
import { toKafkaMessage } from '../functions/producer/sinks/kafka-sink.ts'
import { silentLogger } from '../shared/logger.ts'
import { loadSample } from '../tests/fixtures/opensky.ts'
import { machine, summarize, table, writeResult } from './lib.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40)
const AIRCRAFT = 20_000
const T0 = 1_750_000_000
const BUCKETS = 6

function time<T>(run: () => T): [T, number] {
  const start = performance.now()
  const result = run()
  return [result, performance.now() - start]
}

// --- simulator -------------------------------------------------------------------------------
const [large, createMs] = time(() =>
  createSimulator({ seed: 1, aircraft: AIRCRAFT, bbox: null, epoch: T0 })
)
const [, firstSnapshotMs] = time(() => large.stateAt(T0))
const snapshotMs: number[] = []
const snapshotStates: number[] = []
for (let round = 1; round <= ROUNDS; round++) {
  const [snapshot, ms] = time(() => large.stateAt(T0 + round * 5))
  snapshotMs.push(ms)
  snapshotStates.push(snapshot.states.length)
}
const dach = createSimulator({ seed: 1, aircraft: 600, epoch: T0 })
const dachMs: number[] = []
const dachStates: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  const [snapshot, ms] = time(() => dach.stateAt(T0 + round * 60))
  dachMs.push(ms)
  dachStates.push(snapshot.states.length)
}

// --- events ----------------------------------------------------------------------------------
function eventFigures(name: string, envelope: { time: number; states: unknown[] | null }) {
  const [{ events, states }, bucketMs] = time(() =>
    toStatesEvents(envelope, { source: '/skytrail/producer/bbox/bench', buckets: BUCKETS })
  )
  const [messages, serializeMs] = time(() =>
    events.map((event, bucket) => toKafkaMessage(event, bucket))
  )
  const values = messages.map((message) => message.value as string)
  const bytes = values.map((value) => Buffer.byteLength(value))
  const gzipped = values.map((value) => gzipSync(value).length)
  const total = bytes.reduce((sum, n) => sum + n, 0)
  const headerBytes = Object.entries(messages[0]!.headers ?? {}).reduce(
    (sum, [key, value]) => sum + key.length + String(value).length,
    0
  )
  // a consumer's decode, as the Kafka test does it
  const [, decodeMs] = time(() =>
    messages.map((message) => {
      const consumed: KafkaMessage = {
        key: message.key as string,
        value: Buffer.from(message.value as string),
        headers: message.headers as Record<string, string>,
        body: message.value,
      }
      return Kafka.toEvent(consumed)
    })
  )
  return {
    input: name,
    states,
    events: events.length,
    bucketMs,
    serializeMs,
    decodeMs,
    bytesPerEvent: { min: Math.min(...bytes), max: Math.max(...bytes), mean: total / bytes.length },
    bytesPerState: total / Math.max(1, states),
    gzipRatio: gzipped.reduce((sum, n) => sum + n, 0) / total,
    headerBytes,
  }
}
const events = [
  eventFigures(`simulator, ${AIRCRAFT} aircraft, no box`, large.stateAt(T0 + 3600)),
  eventFigures('sample-3 (real, whole world)', loadSample('sample-3')),
  eventFigures('simulator, 600 aircraft, DACH box', dach.stateAt(T0 + 3600)),
]

// --- whole ticks over HTTP -------------------------------------------------------------------
let received = 0
const receiver = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => (received += chunk.length))
  req.on('end', () => res.writeHead(202).end())
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const config = loadConfig({
  K_SINK: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
  PRODUCER_SOURCE: 'simulate',
  SIMULATION_AIRCRAFT: String(AIRCRAFT),
  SIMULATION_SPEED: '60',
  OPENSKY_BBOX: '-90,-180,90,180',
})
const producer = await createProducer(config, { logger: silentLogger, registry: new Registry() })
const tickMs: number[] = []
let tickStates = 0
for (let round = 0; round < Math.min(ROUNDS, 20); round++) {
  const report = await producer.poller.tick()
  if (report.status !== 'polled') {
    throw new Error(`tick ${round}: ${report.status} ${report.message ?? ''}`)
  }
  tickMs.push(report.durationMs)
  tickStates = report.states
  // a distinct OpenSky second per tick
  await new Promise((resolve) => setTimeout(resolve, 1000))
}
await producer.close()
receiver.close()

const simulatorResult = {
  fleet: AIRCRAFT,
  createMs,
  firstSnapshotMs,
  snapshotMs: summarize(snapshotMs),
  statesPerSnapshot: { min: Math.min(...snapshotStates), max: Math.max(...snapshotStates) },
  dach600: { snapshotMs: summarize(dachMs), statesPerSnapshot: summarize(dachStates) },
}
const result = {
  benchmark: 'producer',
  date: new Date().toISOString(),
  machine: machine(),
  rounds: ROUNDS,
  simulator: simulatorResult,
  events,
  tick: {
    workload: `simulate ${AIRCRAFT} aircraft, no box -> ${BUCKETS} events -> HTTP binary mode`,
    statesPerTick: tickStates,
    ms: summarize(tickMs),
    bytesReceived: received,
  },
}
const file = writeResult('producer', result)

console.warn(
  table([
    {
      step: `create ${AIRCRAFT}-aircraft simulator`,
      'p50 ms': createMs,
      'p95 ms': createMs,
      states: '',
    },
    {
      step: `stateAt, ${AIRCRAFT} aircraft`,
      'p50 ms': simulatorResult.snapshotMs.p50,
      'p95 ms': simulatorResult.snapshotMs.p95,
      states: simulatorResult.statesPerSnapshot.min,
    },
    {
      step: 'stateAt, 600 aircraft in DACH',
      'p50 ms': simulatorResult.dach600.snapshotMs.p50,
      'p95 ms': simulatorResult.dach600.snapshotMs.p95,
      states: simulatorResult.dach600.statesPerSnapshot.p50,
    },
    {
      step: 'tick: simulate + bucket + 6 POSTs',
      'p50 ms': result.tick.ms.p50,
      'p95 ms': result.tick.ms.p95,
      states: tickStates,
    },
  ])
)
console.warn(
  table(
    events.map((figures) => ({
      input: figures.input,
      states: figures.states,
      'bucket ms': figures.bucketMs,
      'serialize ms': figures.serializeMs,
      'decode ms': figures.decodeMs,
      'bytes/event': Math.round(figures.bytesPerEvent.mean),
      'bytes/state': figures.bytesPerState,
      'gzip %': figures.gzipRatio * 100,
    }))
  )
)
console.warn(`results: ${file}`)
