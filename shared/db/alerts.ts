import type { Pool, PoolClient } from './pool.ts'

/** One row of `pipeline_alerts`. */
export interface PipelineAlert {
  name: string
  active: boolean
  value: number | null
  threshold: number | null
  details: Record<string, unknown>
  raisedAt: Date | null
  clearedAt: Date | null
  updatedAt: Date
  /** When the measurement behind this state was taken; null before the first one. */
  measuredAt: Date | null
}

interface PipelineAlertRow {
  name: string
  active: boolean
  value: number | null
  threshold: number | null
  details: Record<string, unknown>
  raised_at: Date | null
  cleared_at: Date | null
  updated_at: Date
  measured_at: Date | null
}

const COLUMNS =
  'name, active, value, threshold, details, raised_at, cleared_at, updated_at, measured_at'

function toAlert(row: PipelineAlertRow): PipelineAlert {
  return {
    name: row.name,
    active: row.active,
    value: row.value,
    threshold: row.threshold,
    details: row.details,
    raisedAt: row.raised_at,
    clearedAt: row.cleared_at,
    updatedAt: row.updated_at,
    measuredAt: row.measured_at,
  }
}

/**
 * Locks the alert's row for the rest of the transaction and returns it, creating it inactive if
 * it does not exist yet. Holding the lock while deciding on a transition means that of two
 * sweepers evaluating the same alert, the second sees the first's committed state.
 */
export async function lockPipelineAlert(client: PoolClient, name: string): Promise<PipelineAlert> {
  await client.query({
    name: 'create-pipeline-alert',
    text: `INSERT INTO pipeline_alerts (name, active) VALUES ($1, false) ON CONFLICT (name) DO NOTHING`,
    values: [name],
  })
  const { rows } = await client.query<PipelineAlertRow>({
    name: 'lock-pipeline-alert',
    text: `SELECT ${COLUMNS} FROM pipeline_alerts WHERE name = $1 FOR UPDATE`,
    values: [name],
  })
  const row = rows[0]
  if (!row) {
    throw new Error(`pipeline_alerts row ${name} vanished while being locked`)
  }
  return toAlert(row)
}

export interface PipelineAlertUpdate {
  name: string
  active: boolean
  value: number | null
  threshold: number
  details: Record<string, unknown>
  measuredAt: Date
}

/**
 * Stores the alert's latest measurement; `raised_at` or `cleared_at` moves only when `active`
 * changes. Call with the row locked ({@link lockPipelineAlert}).
 */
export async function updatePipelineAlert(
  client: PoolClient,
  update: PipelineAlertUpdate
): Promise<PipelineAlert> {
  const { rows } = await client.query<PipelineAlertRow>({
    name: 'update-pipeline-alert',
    text: `
      UPDATE pipeline_alerts
         SET raised_at = CASE WHEN $2 AND NOT active THEN now() ELSE raised_at END,
             cleared_at = CASE WHEN NOT $2 AND active THEN now() ELSE cleared_at END,
             active = $2,
             value = $3,
             threshold = $4,
             details = $5,
             measured_at = $6,
             updated_at = now()
       WHERE name = $1
      RETURNING ${COLUMNS}`,
    values: [
      update.name,
      update.active,
      update.value,
      update.threshold,
      JSON.stringify(update.details),
      update.measuredAt,
    ],
  })
  const row = rows[0]
  if (!row) {
    throw new Error(`pipeline_alerts row ${update.name} does not exist`)
  }
  return toAlert(row)
}

/** Every alert's current state (for the gauges). */
export async function listPipelineAlerts(db: Pool | PoolClient): Promise<PipelineAlert[]> {
  const { rows } = await db.query<PipelineAlertRow>({
    name: 'list-pipeline-alerts',
    text: `SELECT ${COLUMNS} FROM pipeline_alerts ORDER BY name`,
  })
  return rows.map(toAlert)
}
