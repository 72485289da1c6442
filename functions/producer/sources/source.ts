import type { StatesEnvelope } from '../../../shared/opensky/state-vector.ts'
import { STATE_FIELD } from '../../../shared/opensky/state-vector.ts'
import type { SourceName } from '../config.ts'
import type { ProducerErrorKind } from '../metrics.ts'

/** What one tick got from a source. Times are unix milliseconds. */
export type PollResult =
  | {
      kind: 'states'
      envelope: StatesEnvelope
      creditsRemaining: number | null
      nextPollAt: number | null
    }
  | {
      kind: 'skipped'
      reason: 'pacing' | 'rate-limited' | 'not-due' | 'exhausted'
      message: string
      creditsRemaining: number | null
      nextPollAt: number | null
    }
  | {
      kind: 'failed'
      errorKind: ProducerErrorKind
      message: string
      creditsRemaining: number | null
      nextPollAt: number | null
    }

/** A source of OpenSky-shaped responses: live, recorded or simulated. */
export interface StatesSource {
  readonly name: SourceName
  /** CloudEvent `source` of the events made from this source's polls. */
  readonly eventSource: string
  /** `deadline` aborts when the tick runs out of time (only a live source waits long enough to care). */
  poll(nowMs: number, deadline?: AbortSignal): Promise<PollResult>
  /** Extra facts for GET /status (credits, pacing, replay position...). */
  status?(nowMs: number): Record<string, unknown>
}

/**
 * Moves a response to `time`: the envelope's time and each row's time_position and last_contact
 * shift by the same amount, so ages within the response stay as recorded. Rows are copied.
 */
export function shiftEnvelope(envelope: StatesEnvelope, time: number): StatesEnvelope {
  const shift = time - envelope.time
  const states = envelope.states?.map((row) => {
    if (!Array.isArray(row)) {
      return row
    }
    const copy: unknown[] = row.slice()
    for (const index of [STATE_FIELD.timePosition, STATE_FIELD.lastContact]) {
      const value = copy[index]
      if (typeof value === 'number') {
        copy[index] = value + shift
      }
    }
    return copy
  })
  return { time, states: states ?? null }
}
