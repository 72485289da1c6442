import type { CloudEvent } from 'cloudevents'
import { Kafka } from 'cloudevents'

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
