import type { CloudEvent } from 'cloudevents'
import { Kafka } from 'cloudevents'
import type { IHeaders } from 'kafkajs'

export interface KafkaRecord {
  key: string | null
  value: string
  headers: Record<string, string>
  timestamp?: string
}

/**
 * A CloudEvent as a Kafka record in binary content mode (`ce_*` headers, the data as the value),
 * fixed for kafkajs: the SDK's `Kafka.binary` leaves JSON data as an object and unset attributes
 * as undefined headers, both of which kafkajs's encoder rejects.
 * @see https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/kafka-protocol-binding.md
 */
export function toKafkaRecord(event: CloudEvent<unknown>): KafkaRecord {
  const binary = Kafka.binary(event)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(binary.headers)) {
    if (value !== undefined && value !== null) {
      headers[name] = String(value)
    }
  }
  return {
    key: binary.key === undefined ? null : String(binary.key),
    value: typeof binary.value === 'string' ? binary.value : JSON.stringify(binary.value),
    headers,
    timestamp: binary.timestamp,
  }
}

/**
 * A consumed record's headers as strings. kafkajs delivers Buffers (and arrays for repeated
 * headers), which the SDK's `Kafka.toEvent` cannot read.
 */
export function recordHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) {
      result[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString()
    }
  }
  return result
}
