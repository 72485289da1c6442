import type { Pool, PoolClient } from './pool.ts'

export interface PipelineFreshness {
  /** Newest processor write over all delivery streams; null when nothing was written yet. */
  lastWriteAt: Date | null
  /** Newest data time (OpenSky's clock) the processor stored; null when nothing was written yet. */
  lastDataTime: Date | null
  /** Server time minus `lastWriteAt`, in seconds; null when nothing was written yet. */
  ageSeconds: number | null
  /** Number of delivery streams (rows of pipeline_status). */
  streams: number
  /** The server time of this reading. */
  measuredAt: Date
}

/**
 * How long ago the processor last committed a delivery, measured on the database server's clock
 * (the same clock that stamped `last_write_at`), so clock skew between pods does not matter.
 */
export async function readPipelineFreshness(db: Pool | PoolClient): Promise<PipelineFreshness> {
  const { rows } = await db.query<{
    last_write_at: Date | null
    last_data_time: Date | null
    age_seconds: number | null
    streams: number
    measured_at: Date
  }>({
    text: `
      SELECT max(last_write_at) AS last_write_at,
             max(last_data_time) AS last_data_time,
             extract(epoch FROM now() - max(last_write_at))::float8 AS age_seconds,
             count(*)::int AS streams,
             now() AS measured_at
        FROM pipeline_status`,
  })
  const row = rows[0]
  if (!row) {
    throw new Error('the freshness query returned no row')
  }
  return {
    lastWriteAt: row.last_write_at,
    lastDataTime: row.last_data_time,
    ageSeconds: row.age_seconds,
    streams: row.streams,
    measuredAt: row.measured_at,
  }
}
