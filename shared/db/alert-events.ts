import type { Pool, PoolClient } from './pool.ts'

/** One row of the alert outbox, `pipeline_alert_events`. */
export interface PendingAlertEvent {
  id: string
  eventId: string
  alert: string
  type: string
  data: unknown
  createdAt: Date
  attempts: number
}

/** Queues an alert CloudEvent; call in the transaction that changed the alert. */
export async function insertAlertEvent(
  client: PoolClient,
  event: { alert: string; type: string; data: unknown }
): Promise<void> {
  await client.query({
    name: 'insert-alert-event',
    text: `INSERT INTO pipeline_alert_events (alert, type, data) VALUES ($1, $2, $3)`,
    values: [event.alert, event.type, JSON.stringify(event.data)],
  })
}

// Any fixed number; it only has to differ from other advisory locks in this database.
const OUTBOX_LOCK_KEY = 7_250_301

/**
 * Claims the outbox for this connection's session, waiting while another sweeper sends: events
 * then go out one sender at a time, in order, and a waiting sweeper still sends what its own
 * tick queued if the other sender listed the queue before that. A session lock rather than a
 * transaction, so no transaction stays open while events travel to the sink; release it with
 * {@link unlockAlertOutbox} (closing the connection releases it too).
 */
export async function lockAlertOutbox(client: PoolClient): Promise<void> {
  await client.query({
    name: 'lock-alert-outbox',
    text: `SELECT pg_advisory_lock($1)`,
    values: [OUTBOX_LOCK_KEY],
  })
}

export async function unlockAlertOutbox(client: PoolClient): Promise<void> {
  await client.query({
    name: 'unlock-alert-outbox',
    text: `SELECT pg_advisory_unlock($1)`,
    values: [OUTBOX_LOCK_KEY],
  })
}

/** Events not sent yet, oldest first (the order in which the transitions happened). */
export async function listPendingAlertEvents(db: Pool | PoolClient): Promise<PendingAlertEvent[]> {
  const { rows } = await db.query<{
    id: string
    event_id: string
    alert: string
    type: string
    data: unknown
    created_at: Date
    attempts: number
  }>({
    name: 'list-pending-alert-events',
    text: `
      SELECT id, event_id, alert, type, data, created_at, attempts
        FROM pipeline_alert_events
       WHERE sent_at IS NULL AND refused_at IS NULL
       ORDER BY id`,
  })
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    alert: row.alert,
    type: row.type,
    data: row.data,
    createdAt: row.created_at,
    attempts: row.attempts,
  }))
}

/** Records one delivery attempt: `error` undefined means the sink accepted the event. */
export async function recordAlertEventAttempt(
  client: PoolClient,
  id: string,
  error?: string
): Promise<void> {
  await client.query({
    name: 'record-alert-event-attempt',
    text: `
      UPDATE pipeline_alert_events
         SET attempts = attempts + 1,
             sent_at = CASE WHEN $2::text IS NULL THEN now() END,
             last_error = $2
       WHERE id = $1`,
    values: [id, error ?? null],
  })
}

/** Sets aside an event the sink refused for good, with its answer; it is not sent again. */
export async function recordAlertEventRefused(
  client: PoolClient,
  id: string,
  error: string
): Promise<void> {
  await client.query({
    name: 'record-alert-event-refused',
    text: `
      UPDATE pipeline_alert_events
         SET attempts = attempts + 1, refused_at = now(), last_error = $2
       WHERE id = $1`,
    values: [id, error],
  })
}

/** Deletes sent and refused events older than `days`; returns how many. */
export async function pruneSentAlertEvents(db: Pool | PoolClient, days: number): Promise<number> {
  const { rowCount } = await db.query({
    name: 'prune-sent-alert-events',
    text: `
      DELETE FROM pipeline_alert_events
       WHERE sent_at < now() - make_interval(days => $1)
          OR refused_at < now() - make_interval(days => $1)`,
    values: [days],
  })
  return rowCount ?? 0
}
