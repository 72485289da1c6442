import type { Pool, PoolClient } from './pool.ts'

export interface EndSilentFlightsBatch {
  /** Live rows deleted: aircraft silent longer than the timeout. */
  liveRowsDeleted: number
  /** Their flights that got an `end_time` (fewer if one was already ended). */
  flightsEnded: number
}

/**
 * Ends one batch of silent flights in one statement, hence one transaction: locks up to
 * `batchSize` live rows whose `last_contact` is older than `timeoutSeconds`, in no order (all of
 * them end, and a scan with no sort stops at the batch's last row), sets their open flight's
 * `end_time` to that last contact and deletes the live rows.
 *
 * Silence is measured up to the server's time, or up to the data the processor stored when that
 * is older: while deliveries lag (processor down, KafkaSource behind, a replay from the earliest
 * offset), an aircraft whose next states are still on their way is not silent, and ending its
 * flight would split it in two when they arrive. The data time is that of the stream (Kafka
 * partition) furthest behind, since an aircraft's states all travel in one stream and the
 * sweeper does not know which: even the partitions of one poll commit moments apart. Only
 * streams written within the last hour (or the timeout, if longer) count, so one that stopped for
 * good (fewer partitions, another producer) holds flights open for an hour at most. The hour
 * outlasts a partition stalled on KafkaSource's retries (about 40 minutes, see
 * knative/processor/400-kafkasource-processor.yaml). When no stream was written within it, the
 * newest data of any stream counts, and with no data at all, server time.
 *
 * Locking: live rows first, then their flights, the processor's order; SKIP LOCKED leaves rows a
 * processor (or another sweeper) holds to a later batch instead of waiting for them, so the sweeper
 * never blocks a delivery and two sweepers never end the same flight. A row the processor updated
 * meanwhile is re-checked after locking and skipped when it is no longer silent.
 */
export async function endSilentFlightsBatch(
  db: Pool | PoolClient,
  { timeoutSeconds, batchSize }: { timeoutSeconds: number; batchSize: number }
): Promise<EndSilentFlightsBatch> {
  const { rows } = await db.query<{ live_rows_deleted: number; flights_ended: number }>({
    name: 'end-silent-flights-batch',
    text: `
      WITH silent AS (
        SELECT icao24, flight_uuid, last_contact
          FROM live_flights
         WHERE last_contact < LEAST(now(), COALESCE(
                                (SELECT min(last_data_time) FROM pipeline_status
                                  WHERE last_write_at > now() - GREATEST(
                                          make_interval(secs => $1), interval '1 hour')),
                                (SELECT max(last_data_time) FROM pipeline_status)))
                              - make_interval(secs => $1)
         LIMIT $2
           FOR UPDATE SKIP LOCKED
      ), ended AS (
        -- GREATEST only matters for a last contact before the start (bad data), which would
        -- otherwise violate the end_time >= start_time check and fail every future tick.
        UPDATE flight_histories AS h
           SET end_time = GREATEST(s.last_contact, h.start_time)
          FROM silent AS s
         WHERE h.flight_uuid = s.flight_uuid
           AND h.end_time IS NULL
        RETURNING h.flight_uuid
      ), deleted AS (
        DELETE FROM live_flights AS l
         USING silent AS s
         WHERE l.icao24 = s.icao24
        RETURNING l.icao24
      )
      SELECT (SELECT count(*) FROM deleted)::int AS live_rows_deleted,
             (SELECT count(*) FROM ended)::int AS flights_ended`,
    values: [timeoutSeconds, batchSize],
  })
  const row = rows[0]
  return { liveRowsDeleted: row?.live_rows_deleted ?? 0, flightsEnded: row?.flights_ended ?? 0 }
}
