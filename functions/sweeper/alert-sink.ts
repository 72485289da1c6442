import { CloudEvent } from 'cloudevents'

import type { PendingAlertEvent } from '../../shared/db/alert-events.ts'
import {
  listPendingAlertEvents,
  lockAlertOutbox,
  recordAlertEventAttempt,
  recordAlertEventRefused,
  unlockAlertOutbox,
} from '../../shared/db/alert-events.ts'
import type { Pool, PoolClient } from '../../shared/db/pool.ts'
import { ALERT_EVENT_SOURCE } from '../../shared/events/pipeline-alert.ts'
import { toBinaryRequest } from '../../shared/http/binary-request.ts'
import { isFinalHttpStatus } from '../../shared/http/knative-retry.ts'
import type { AlertSinkConfig } from './config.ts'

/** Sends one CloudEvent to the sink; throws when the sink does not accept it. */
export type SendCloudEvent = (event: CloudEvent<unknown>, sink: AlertSinkConfig) => Promise<void>

export interface AlertDelivery {
  sent: number
  /** Failures worth retrying: the event stays first in the queue. */
  failed: number
  /** Events the sink refused for good, set aside so they block nothing. */
  refused: number
  /** Events still waiting after this attempt (retried on the next tick). */
  pending: number
  /** The sink's answer to the failed event, else to the last refused one. */
  error?: string
}

/** The sink answered with an HTTP status other than 2xx. */
export class SinkAnswerError extends Error {
  override name = 'SinkAnswerError'
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

/** The outbox row as a CloudEvent: its id and time are the transition's, fixed at raise or clear. */
export function toAlertCloudEvent(
  row: PendingAlertEvent,
  extensions: Record<string, string>
): CloudEvent<unknown> {
  return new CloudEvent<unknown>({
    ...extensions,
    id: row.eventId,
    source: ALERT_EVENT_SOURCE,
    type: row.type,
    subject: row.alert,
    time: row.createdAt.toISOString(),
    datacontenttype: 'application/json',
    data: row.data,
  })
}

/** POSTs the event in binary content mode; any non-2xx answer or a timeout is a failure. */
export const postCloudEvent: SendCloudEvent = async (event, sink) => {
  const { headers, body } = toBinaryRequest(event)
  const response = await fetch(sink.url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(sink.timeoutMs),
  })
  // Drain the body so the connection can be reused.
  const text = await response.text()
  if (!response.ok) {
    throw new SinkAnswerError(
      response.status,
      `K_SINK answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`
    )
  }
}

/**
 * Sends every queued alert event, oldest first, under an advisory lock so that two sweepers never
 * send the same event (the second waits, then finds it sent). The first failure worth retrying
 * stops the round: later events (say the clear after a raise) must not overtake it, so it stays
 * queued and is retried on the next tick. An event the sink refused for good is set aside and
 * the round goes on. An event whose acknowledgement was lost is sent again with the same id.
 */
export async function deliverAlertEvents(
  pool: Pool,
  sink: AlertSinkConfig,
  send: SendCloudEvent
): Promise<AlertDelivery> {
  const client = await pool.connect()
  let broken: Error | undefined
  const discard = (err: unknown) => {
    broken = err instanceof Error ? err : new Error(String(err))
  }
  try {
    await lockAlertOutbox(client)
    try {
      return await sendQueued(client, sink, send)
    } finally {
      await unlockAlertOutbox(client).catch(discard)
    }
  } catch (err) {
    // A connection whose query failed may hold the lock, or may still be running a query the
    // client gave up on (a read timeout) that takes it later: it must not go back to the pool.
    discard(err)
    throw err
  } finally {
    client.release(broken)
  }
}

async function sendQueued(
  client: PoolClient,
  sink: AlertSinkConfig,
  send: SendCloudEvent
): Promise<AlertDelivery> {
  const queued = await listPendingAlertEvents(client)
  let sent = 0
  let refused = 0
  let lastRefusal: string | undefined
  for (const row of queued) {
    try {
      await send(toAlertCloudEvent(row, sink.extensions), sink)
    } catch (err) {
      const error = describeSendError(err)
      if (err instanceof SinkAnswerError && isFinalHttpStatus(err.status)) {
        await recordAlertEventRefused(client, row.id, error)
        refused++
        lastRefusal = error
        continue
      }
      await recordAlertEventAttempt(client, row.id, error)
      return { sent, failed: 1, refused, pending: queued.length - sent - refused, error }
    }
    await recordAlertEventAttempt(client, row.id)
    sent++
  }
  return { sent, failed: 0, refused, pending: 0, ...(lastRefusal && { error: lastRefusal }) }
}

function describeSendError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : ''
    return `${err.message}${cause}`
  }
  return String(err)
}
