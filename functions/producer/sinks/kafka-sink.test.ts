import { Kafka, type KafkaMessage } from 'cloudevents'
import { describe, expect, it } from 'vitest'

import { EXTENSION } from '../../../shared/events/index.ts'
import { loadSample } from '../../../tests/fixtures/opensky.ts'
import { toStatesEvents } from '../events.ts'
import { toKafkaMessage } from './kafka-sink.ts'

describe('toKafkaMessage', () => {
  const [event] = toStatesEvents(loadSample('sample-1'), { source: '/tests', buckets: 1 }).events

  it('writes binary mode with clean string headers, the bucket as key and partition', () => {
    const message = toKafkaMessage(event!, 0)
    expect(message.key).toBe('0')
    expect(message.partition).toBe(0)
    expect(typeof message.value).toBe('string')
    expect(message.timestamp).toBe(String(1604921480 * 1000))
    expect(message.headers).toEqual({
      ce_id: '1604921480-0-of-1',
      ce_source: '/tests',
      ce_type: 'dev.skytrail.opensky.states.v1',
      ce_specversion: '1.0',
      ce_time: '2020-11-09T11:31:20.000Z',
      ce_datacontenttype: 'application/json',
      [`ce_${EXTENSION.partitionKey}`]: '0',
      'content-type': 'application/json',
    })
  })

  it('round-trips through the SDK once a consumer turns headers and key into strings', () => {
    const message = toKafkaMessage(event!, 0)
    // what kafkajs hands a consumer: Buffers everywhere
    const received = {
      key: Buffer.from(message.key as string),
      value: Buffer.from(message.value as string),
      headers: Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [
          name,
          Buffer.from(value as string),
        ])
      ),
    }
    const consumed: KafkaMessage = {
      key: received.key.toString(),
      value: received.value,
      headers: Object.fromEntries(
        Object.entries(received.headers).map(([name, value]) => [name, value.toString()])
      ),
      body: received.value,
    }
    const decoded = Kafka.toEvent(consumed)
    expect(Array.isArray(decoded)).toBe(false)
    expect(decoded).toMatchObject({
      id: event!.id,
      source: event!.source,
      type: event!.type,
      time: event!.time,
      datacontenttype: 'application/json',
      partitionkey: '0',
    })
    expect((decoded as { data: unknown }).data).toEqual(event!.data)
  })
})
