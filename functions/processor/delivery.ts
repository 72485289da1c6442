import type { CloudEvent } from 'cloudevents'

import type { FlightRules, LiveState } from '../../shared/db/apply-states.ts'
import { applyStates } from '../../shared/db/apply-states.ts'
import { recordInboxEvent } from '../../shared/db/inbox.ts'
import { recordDelivery } from '../../shared/db/pipeline-status.ts'
import type { Pool } from '../../shared/db/pool.ts'
import { withTransaction } from '../../shared/db/pool.ts'
import {
  EXTENSION,
  KAFKA_RECORD_EVENT_TYPE,
  OPENSKY_STATES_EVENT_TYPE,
} from '../../shared/events/index.ts'
import { mediaTypeOf } from '../../shared/http/cloud-events.ts'
import { BadRequestError } from '../../shared/http/errors.ts'
import { parseStateRows, statesEnvelopeSchema } from '../../shared/opensky/state-vector.ts'
import { prepareStates } from './prepare-states.ts'

/** The producer's states event, and KafkaSource's wrapper around a record that is not one. */
export const ACCEPTED_EVENT_TYPES = [OPENSKY_STATES_EVENT_TYPE, KAFKA_RECORD_EVENT_TYPE]

/** One event's states, validated and prepared, ready to be written. */
export interface Delivery {
  source: string
  id: string
  stream: string
  /** Unix seconds of the data (the envelope's `time`). */
  dataTime: number
  received: number
  droppedInvalid: number
  droppedNoPosition: number
  droppedDuplicate: number
  /** The first problems of invalid rows, for the log line. */
  problems: string[]
  states: LiveState[]
}

/** The JSON answer for one event: what arrived, what was dropped and why, what was written. */
export interface DeliverySummary {
  eventId: string
  /** True when this event was committed before: nothing was written again. */
  duplicate: boolean
  received: number
  accepted: number
  dropped: { invalid: number; noPosition: number; duplicate: number; stale: number }
  upserted: number
  flightsStarted: number
  flightsEnded: number
  waypointsAppended: number
}

/**
 * How far the data's time may lie ahead of this processor's clock. A state from the future would
 * freeze its aircraft, since every real state after it would be older, and an envelope from the
 * future would keep the sweeper's freshness check from ever seeing the feed go stale.
 */
const MAX_CLOCK_AHEAD_SECONDS = 300

/**
 * The deliveries of one request's events (see {@link toDelivery}); a 400 about an event of a
 * batch names the event.
 */
export function toDeliveries(
  events: readonly CloudEvent<unknown>[],
  batched: boolean,
  nowSeconds = Date.now() / 1000
): Delivery[] {
  return events.map((event, index) => {
    try {
      return toDelivery(event, nowSeconds)
    } catch (err) {
      if (batched && err instanceof BadRequestError) {
        throw new BadRequestError(
          `event ${index} of the batch (id ${event.id}): ${err.message}`,
          err.details
        )
      }
      throw err
    }
  })
}

/**
 * Turns a decoded CloudEvent of one of the {@link ACCEPTED_EVENT_TYPES} into a delivery, or
 * throws a 400 naming what is wrong with its data. The producer's states event carries JSON;
 * KafkaSource's wrapper around a plain record (as the original Python producer wrote) has no
 * content type, so its data arrives as text and is read as JSON. Data declared as another kind
 * of content, such as XML, is refused.
 */
function toDelivery(event: CloudEvent<unknown>, nowSeconds: number): Delivery {
  const data = readJsonData(event)
  const envelope = statesEnvelopeSchema.safeParse(data)
  if (!envelope.success) {
    throw new BadRequestError(
      'event data is not an OpenSky states envelope {time, states}',
      envelope.error.issues.map((issue) => `data.${issue.path.join('.')}: ${issue.message}`)
    )
  }
  const ahead = envelope.data.time - nowSeconds
  if (ahead > MAX_CLOCK_AHEAD_SECONDS) {
    throw new BadRequestError(
      `event data time ${envelope.data.time} lies ${Math.round(ahead)} s ahead of this processor's clock; at most ${MAX_CLOCK_AHEAD_SECONDS} s are allowed`
    )
  }
  const parsed = parseStateRows(envelope.data)
  const prepared = prepareStates(parsed.states)
  return {
    source: event.source,
    id: event.id,
    stream: streamOf(event),
    dataTime: parsed.time,
    received: envelope.data.states?.length ?? 0,
    droppedInvalid: parsed.invalid,
    droppedNoPosition: prepared.droppedNoPosition,
    droppedDuplicate: prepared.droppedDuplicate,
    problems: parsed.problems,
    states: prepared.states,
  }
}

function readJsonData(event: CloudEvent<unknown>): unknown {
  const { data, datacontenttype } = event
  if (datacontenttype !== undefined && !mayHoldJson(datacontenttype)) {
    throw new BadRequestError(
      `event data of content type ${datacontenttype} is not JSON; expected application/json`
    )
  }
  if (data === undefined || data === null) {
    throw new BadRequestError('event has no data')
  }
  let bytes: Uint8Array | undefined
  if (data instanceof Uint8Array) {
    bytes = data
  } else if (data instanceof Uint32Array) {
    // The SDK decodes a structured event's data_base64 into a Uint32Array of one byte each.
    bytes = Uint8Array.from(data)
  } else if (typeof data !== 'string') {
    return data
  }
  const text = bytes ? new TextDecoder().decode(bytes) : (data as string)
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new BadRequestError(`event data is not JSON: ${(err as Error).message}`)
  }
}

/**
 * application/json, text/json or a +json type, with or without parameters; also text/plain, which
 * HTTP clients and Kafka tools put on any text they send, JSON included.
 */
function mayHoldJson(contentType: string): boolean {
  const mediaType = mediaTypeOf(contentType)!
  return (
    mediaType === 'application/json' ||
    mediaType === 'text/json' ||
    mediaType === 'text/plain' ||
    mediaType.endsWith('+json')
  )
}

/** Kafka partition when KafkaSource delivered it, else the producer's bucket, else one stream. */
function streamOf(event: CloudEvent<unknown>): string {
  const partition = event[EXTENSION.kafkaPartition] as string | number | undefined
  if (partition !== undefined) {
    return `partition:${partition}`
  }
  const key = event[EXTENSION.partitionKey] as string | number | undefined
  return key === undefined ? 'default' : `key:${key}`
}

/**
 * Writes the deliveries of one request and returns their summaries; `onCommitted` hears of each
 * as soon as it is committed, so an event committed before a later one fails is still counted.
 */
export type DeliveryWriter = (
  deliveries: Delivery[],
  onCommitted: (summary: DeliverySummary, delivery: Delivery) => void
) => Promise<DeliverySummary[]>

/**
 * Writes each event of a request in a transaction of its own: it is first recorded in the inbox,
 * so a redelivered event is recognised and skipped, then its states are applied and the delivery
 * is noted in pipeline_status. The answer comes after the last commit. A batch in one transaction
 * would lock each event's aircraft in icao24 order but the events in request order, so two
 * batches holding the same events in another order could deadlock; if a later event fails, the
 * committed ones are duplicates when the batch comes again.
 */
export function createDeliveryWriter(pool: Pool, rules: FlightRules): DeliveryWriter {
  const write = (delivery: Delivery) =>
    withTransaction(pool, async (client) => {
      if (!(await recordInboxEvent(client, delivery.source, delivery.id))) {
        return summarize(delivery, null)
      }
      const result = await applyStates(client, delivery.states, rules)
      const summary = summarize(delivery, result)
      await recordDelivery(client, {
        stream: delivery.stream,
        eventId: delivery.id,
        dataTime: delivery.dataTime,
        received: summary.received,
        accepted: summary.accepted,
        dropped: summary.received - summary.accepted,
      })
      return summary
    })
  return async (deliveries, onCommitted) => {
    const summaries: DeliverySummary[] = []
    for (const delivery of deliveries) {
      const summary = await write(delivery)
      onCommitted(summary, delivery)
      summaries.push(summary)
    }
    return summaries
  }
}

function summarize(
  delivery: Delivery,
  result: Awaited<ReturnType<typeof applyStates>> | null
): DeliverySummary {
  return {
    eventId: delivery.id,
    duplicate: result === null,
    received: delivery.received,
    accepted: delivery.states.length,
    dropped: {
      invalid: delivery.droppedInvalid,
      noPosition: delivery.droppedNoPosition,
      duplicate: delivery.droppedDuplicate,
      stale: result?.stale ?? 0,
    },
    upserted: result?.upserted ?? 0,
    flightsStarted: result?.flightsStarted ?? 0,
    flightsEnded: result?.flightsEnded ?? 0,
    waypointsAppended: result?.waypointsAppended ?? 0,
  }
}
