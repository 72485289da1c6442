import type { PoolClient } from './pool.ts'

export interface DeliveryRecord {
  /** The delivery stream: a Kafka partition, or the producer's partition key. */
  stream: string
  eventId: string
  /** Unix seconds of the data (OpenSky's `time`). */
  dataTime: number
  received: number
  accepted: number
  dropped: number
}

/**
 * Notes a committed delivery in `pipeline_status`, the table the sweeper's freshness check and
 * the dashboard read. One row per stream keeps concurrent processors off each other's rows.
 */
export async function recordDelivery(client: PoolClient, delivery: DeliveryRecord): Promise<void> {
  await client.query({
    text: `
      INSERT INTO pipeline_status AS s (stream, last_event_id, last_data_time, last_write_at,
                                        deliveries, states_received, states_accepted, states_dropped)
      VALUES ($1, $2, to_timestamp($3), now(), 1, $4, $5, $6)
      ON CONFLICT (stream) DO UPDATE SET
        last_event_id = excluded.last_event_id,
        last_data_time = GREATEST(s.last_data_time, excluded.last_data_time),
        last_write_at = excluded.last_write_at,
        deliveries = s.deliveries + 1,
        states_received = s.states_received + excluded.states_received,
        states_accepted = s.states_accepted + excluded.states_accepted,
        states_dropped = s.states_dropped + excluded.states_dropped`,
    values: [
      delivery.stream,
      delivery.eventId,
      delivery.dataTime,
      delivery.received,
      delivery.accepted,
      delivery.dropped,
    ],
  })
}
