import { Kafka, type KafkaMessage } from 'cloudevents'
// kafkajs is CommonJS and spreads its error classes into module.exports: Node sees them only on
// the default export
import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'

import { EXTENSION } from '../../../shared/events/index.ts'
import { loadSample } from '../../../tests/fixtures/opensky.ts'
import { toStatesEvents } from '../events.ts'
import { isFinalKafkaError, toKafkaMessage } from './kafka-sink.ts'

describe('toKafkaMessage', () => {
  const [event] = toStatesEvents(loadSample('sample-1'), { source: '/tests', buckets: 1 }).events

  it('writes binary mode with clean string headers, the bucket as key and partition', () => {
    const message = toKafkaMessage(event!, 0)
    expect(message.key).toBe('0')
    expect(message.partition).toBe(0)
    expect(typeof message.value).toBe('string')
    // JSON-encoded once: the value parses straight back to the data, not to a string
    expect(JSON.parse(message.value as string)).toEqual(event!.data)
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

describe('isFinalKafkaError', () => {
  const {
    KafkaJSConnectionError,
    KafkaJSNonRetriableError,
    KafkaJSNumberOfRetriesExceeded,
    KafkaJSProtocolError,
  } = kafkajs
  // what kafkajs makes of a produce response's error code (protocol/error.js)
  const protocolError = (type: string, code: number, retriable: boolean) =>
    new KafkaJSProtocolError(Object.assign(new Error(type), { type, code, retriable }))
  // kafkajs's retrier wraps with `{ cause }`, which its typings leave out
  const wrapped = (error: Error, cause: Error) =>
    Object.assign(new KafkaJSNonRetriableError(error), { cause })

  it('is final for what the broker refuses for good, also inside the retrier wrapper', () => {
    const tooLarge = protocolError('MESSAGE_TOO_LARGE', 10, false)
    expect(isFinalKafkaError(tooLarge)).toBe(true)
    expect(isFinalKafkaError(protocolError('INVALID_PARTITIONS', 37, false))).toBe(true)
    expect(isFinalKafkaError(protocolError('RECORD_LIST_TOO_LARGE', 18, false))).toBe(true)
    expect(isFinalKafkaError(wrapped(tooLarge, tooLarge))).toBe(true)
    expect(isFinalKafkaError(new KafkaJSNonRetriableError('Invalid topic'))).toBe(true)
  })

  it('is transient for retriable errors, even when kafkajs ran out of retries on them', () => {
    const down = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED')
    const notLeader = protocolError('NOT_LEADER_FOR_PARTITION', 6, true)
    expect(isFinalKafkaError(down)).toBe(false)
    expect(isFinalKafkaError(notLeader)).toBe(false)
    // marked non-retriable, but what failed was retriable
    const exhausted = new KafkaJSNumberOfRetriesExceeded(down, { retryCount: 6, retryTime: 5000 })
    expect(exhausted.retriable).toBe(false)
    expect(isFinalKafkaError(exhausted)).toBe(false)
    // an outer retrier wraps an exhausted inner one with the original error as the cause
    expect(isFinalKafkaError(wrapped(exhausted, down))).toBe(false)
    expect(isFinalKafkaError(new Error('socket hang up'))).toBe(false)
  })
})
