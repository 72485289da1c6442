import { describe, expect, it } from 'vitest'

import { EXTENSION, OPENSKY_STATES_EVENT_TYPE } from '../../shared/events/index.ts'
import { loadSample } from '../../tests/fixtures/opensky.ts'
import { DACH_BBOX, parseBoundingBox } from './bbox.ts'
import { bucketOf } from './buckets.ts'
import { statesEventSource, toStatesEvents } from './events.ts'

const SOURCE = statesEventSource('live', DACH_BBOX)

describe('toStatesEvents', () => {
  it('makes one event per bucket with the OpenSky envelope of its aircraft', () => {
    const envelope = loadSample('sample-1')
    const { events, states, droppedRows } = toStatesEvents(envelope, { source: SOURCE, buckets: 6 })
    expect(events).toHaveLength(6)
    expect(states).toBe(46)
    expect(droppedRows).toBe(0)
    events.forEach((event, bucket) => {
      expect(event).toMatchObject({
        id: `1604921480-${bucket}-of-6`,
        source: '/skytrail/producer/bbox/45.8,5.9,55.1,17.2',
        type: OPENSKY_STATES_EVENT_TYPE,
        time: '2020-11-09T11:31:20.000Z',
        datacontenttype: 'application/json',
        [EXTENSION.partitionKey]: String(bucket),
      })
      expect(event.data?.time).toBe(1604921480)
      for (const row of event.data?.states ?? []) {
        expect(bucketOf((row as unknown[])[0] as string, 6)).toBe(bucket)
      }
      event.validate()
    })
    const emitted = events.flatMap((event) => event.data?.states ?? [])
    expect(emitted).toHaveLength(46)
    expect(new Set(emitted)).toEqual(new Set(envelope.states))
  })

  it('gives a re-sent poll the same ids and a new poll new ones', () => {
    const envelope = loadSample('sample-2')
    const first = toStatesEvents(envelope, { source: SOURCE, buckets: 6 }).events
    const again = toStatesEvents(envelope, { source: SOURCE, buckets: 6 }).events
    const later = toStatesEvents(
      { ...envelope, time: envelope.time + 5 },
      {
        source: SOURCE,
        buckets: 6,
      }
    ).events
    expect(again.map((event) => event.id)).toEqual(first.map((event) => event.id))
    expect(later.map((event) => event.id)).not.toContain(first[0]?.id)
  })

  it('still emits every bucket for an empty poll (states: null)', () => {
    const { events, states } = toStatesEvents(
      { time: 1_700_000_000, states: null },
      {
        source: SOURCE,
        buckets: 3,
      }
    )
    expect(states).toBe(0)
    expect(events.map((event) => event.data)).toEqual([
      { time: 1_700_000_000, states: [] },
      { time: 1_700_000_000, states: [] },
      { time: 1_700_000_000, states: [] },
    ])
  })
})

describe('statesEventSource', () => {
  it('names the box, and the mode when it is not live; replays have no box of their own', () => {
    expect(statesEventSource('live', DACH_BBOX)).toBe('/skytrail/producer/bbox/45.8,5.9,55.1,17.2')
    expect(statesEventSource('simulate', parseBoundingBox('1,2,3,4'))).toBe(
      '/skytrail/producer/simulate/bbox/1,2,3,4'
    )
    expect(statesEventSource('replay')).toBe('/skytrail/producer/replay')
  })
})
