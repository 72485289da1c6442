import { CloudEvent } from 'cloudevents'

import { EXTENSION, OPENSKY_STATES_EVENT_TYPE } from '../../shared/events/index.ts'
import type { StatesEnvelope } from '../../shared/opensky/state-vector.ts'
import { type BoundingBox, formatBoundingBox } from './bbox.ts'
import { bucketRows } from './buckets.ts'

/** What a producer event carries: an OpenSky envelope holding one bucket's rows. */
export interface StatesEventData {
  time: number
  states: unknown[]
}

export type StatesEvent = CloudEvent<StatesEventData>

export interface StatesEvents {
  /** One event per bucket, empty buckets included, in bucket order. */
  events: StatesEvent[]
  states: number
  droppedRows: number
}

/**
 * Turns one poll into one CloudEvent per bucket. Every bucket gets an event, even an empty one:
 * each partition then hears from every poll, so a quiet night still shows the pipeline alive.
 * The id is stable for the poll (OpenSky `time`) and bucket, so re-sending a poll produces the
 * same ids and the processor's inbox recognises it.
 */
export function toStatesEvents(
  envelope: StatesEnvelope,
  options: { source: string; buckets: number }
): StatesEvents {
  const { rows, dropped } = bucketRows(envelope.states, options.buckets)
  const time = new Date(envelope.time * 1000).toISOString()
  const events = rows.map(
    (states, bucket) =>
      new CloudEvent<StatesEventData>({
        id: statesEventId(envelope.time, bucket, options.buckets),
        source: options.source,
        type: OPENSKY_STATES_EVENT_TYPE,
        time,
        datacontenttype: 'application/json',
        [EXTENSION.partitionKey]: String(bucket),
        data: { time: envelope.time, states },
      })
  )
  return {
    events,
    states: rows.reduce((sum, bucket) => sum + bucket.length, 0),
    droppedRows: dropped,
  }
}

/** `<OpenSky time>-<bucket>-of-<buckets>`: unique per poll and bucket within one source. */
export function statesEventId(time: number, bucket: number, buckets: number): string {
  return `${time}-${bucket}-of-${buckets}`
}

/**
 * The CloudEvent `source` of a mode's events: `/skytrail/producer/bbox/45.8,5.9,55.1,17.2` live,
 * `/skytrail/producer/simulate/bbox/...` simulated, `/skytrail/producer/replay` for replays,
 * whose recordings may come from any box. Sources differ per mode, so the processor's inbox
 * (source + id) never mistakes a replayed or simulated poll for a live one at the same time.
 */
export function statesEventSource(
  ...args: ['replay'] | [mode: 'live' | 'simulate', box: BoundingBox]
): string {
  if (args[0] === 'replay') {
    return '/skytrail/producer/replay'
  }
  const [mode, box] = args
  const path = `bbox/${formatBoundingBox(box)}`
  return mode === 'live' ? `/skytrail/producer/${path}` : `/skytrail/producer/${mode}/${path}`
}
