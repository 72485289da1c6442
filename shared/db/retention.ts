import type { Pool, PoolClient } from './pool.ts'

/**
 * Deletes up to `batchSize` finished flights whose `end_time` is more than `days` days ago (server
 * time) and returns how many. A flight a live row still points at is kept: the foreign key needs
 * it, and it means the processor is using it.
 */
export async function deleteExpiredFlightsBatch(
  db: Pool | PoolClient,
  { days, batchSize }: { days: number; batchSize: number }
): Promise<number> {
  const { rowCount } = await db.query({
    name: 'delete-expired-flights-batch',
    text: `
      DELETE FROM flight_histories
       WHERE flight_uuid IN (
         SELECT h.flight_uuid
           FROM flight_histories AS h
          WHERE h.end_time < now() - make_interval(days => $1)
            AND NOT EXISTS (SELECT 1 FROM live_flights AS l WHERE l.flight_uuid = h.flight_uuid)
          ORDER BY h.end_time
          LIMIT $2
            FOR UPDATE SKIP LOCKED)`,
    values: [days, batchSize],
  })
  return rowCount ?? 0
}

/**
 * Deletes up to `batchSize` processor inbox rows (`processed_events`) older than `hours` and
 * returns how many. Safe once Kafka no longer holds the record: it cannot be redelivered.
 */
export async function pruneProcessedEventsBatch(
  db: Pool | PoolClient,
  { hours, batchSize }: { hours: number; batchSize: number }
): Promise<number> {
  const { rowCount } = await db.query({
    name: 'prune-processed-events-batch',
    text: `
      DELETE FROM processed_events
       WHERE (source, id) IN (
         SELECT source, id
           FROM processed_events
          WHERE processed_at < now() - make_interval(hours => $1)
          ORDER BY processed_at
          LIMIT $2
            FOR UPDATE SKIP LOCKED)`,
    values: [hours, batchSize],
  })
  return rowCount ?? 0
}
