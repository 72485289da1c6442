import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'

import type { Logger } from '../../../shared/logger.ts'
import type { StatesEnvelope } from '../../../shared/opensky/state-vector.ts'
import { statesEnvelopeSchema } from '../../../shared/opensky/state-vector.ts'
import { statesEventSource } from '../events.ts'
import { type PollResult, shiftEnvelope, type StatesSource } from './source.ts'

const gunzipAsync = promisify(gunzip)
const RESPONSE_FILE = /\.json(\.gz)?$/

export interface ReplaySourceOptions {
  /** A recorded response (.json or .json.gz) or a folder searched recursively for them. */
  path: string
  /** 2 plays twice as fast as recorded. */
  speed: number
  /** Start over after the last response (default) or stop emitting. */
  loop: boolean
  /** Gaps between responses longer than this, or negative, are played as this long. */
  maxGapSeconds: number
  logger: Logger
}

interface Frame {
  file: string
  envelope: StatesEnvelope | null
  problem?: string
}

/**
 * Plays recorded responses in path order (a `record` folder sorts by time), one per tick, at the
 * recorded pace divided by `speed`: a tick before the next response is due is skipped. Each
 * response is moved to the current time (rows' time_position and last_contact shift with it),
 * and times only move forward, so every emitted poll gets new event ids.
 */
export async function createReplaySource(options: ReplaySourceOptions): Promise<StatesSource> {
  const files = await listResponses(options.path)
  if (files.length === 0) {
    throw new Error(`REPLAY_PATH ${options.path} holds no .json or .json.gz responses`)
  }
  const { logger } = options
  let index = 0
  let rounds = 0
  let upcoming: Frame | undefined
  let dueAt = 0
  let lastTime = 0

  const load = async (file: string): Promise<Frame> => {
    try {
      const raw = await readFile(file)
      const text = (file.endsWith('.gz') ? await gunzipAsync(raw) : raw).toString('utf8')
      const parsed: unknown = JSON.parse(text)
      const result = statesEnvelopeSchema.safeParse(parsed)
      if (!result.success) {
        return { file, envelope: null, problem: 'not an OpenSky states envelope' }
      }
      return { file, envelope: result.data }
    } catch (err) {
      return { file, envelope: null, problem: String(err) }
    }
  }

  return {
    name: 'replay',
    eventSource: statesEventSource('replay'),
    async poll(nowMs): Promise<PollResult> {
      const noCredits = { creditsRemaining: null }
      if (index >= files.length && !options.loop) {
        return {
          kind: 'skipped',
          reason: 'exhausted',
          message: `replay finished: all ${files.length} responses played`,
          nextPollAt: null,
          ...noCredits,
        }
      }
      if (nowMs < dueAt) {
        return {
          kind: 'skipped',
          reason: 'not-due',
          message: `next recorded response due at ${new Date(dueAt).toISOString()}`,
          nextPollAt: dueAt,
          ...noCredits,
        }
      }
      const frame = upcoming ?? (await load(files[index % files.length] as string))
      index++
      const roundEnded = index % files.length === 0
      if (roundEnded) {
        rounds++
      }
      const nextFile = index < files.length || options.loop ? files[index % files.length] : null
      upcoming = nextFile ? await load(nextFile) : undefined
      // from the last response back to the first is no recorded gap, even with a single file
      const gap = roundEnded
        ? options.maxGapSeconds
        : gapSeconds(frame, upcoming, options.maxGapSeconds)
      dueAt = nowMs + (gap / options.speed) * 1000
      if (!frame.envelope) {
        logger.warn({ file: frame.file, problem: frame.problem }, 'skipping a bad recording')
        return {
          kind: 'failed',
          errorKind: 'bad_response',
          message: `bad recording ${frame.file}: ${frame.problem ?? 'invalid'}`,
          nextPollAt: dueAt,
          ...noCredits,
        }
      }
      lastTime = Math.max(Math.floor(nowMs / 1000), lastTime + 1)
      return {
        kind: 'states',
        envelope: shiftEnvelope(frame.envelope, lastTime),
        nextPollAt: dueAt,
        ...noCredits,
      }
    },
    status() {
      return {
        path: options.path,
        responses: files.length,
        played: index,
        rounds,
        nextDueAt: dueAt ? new Date(dueAt).toISOString() : null,
      }
    },
  }
}

function gapSeconds(frame: Frame, next: Frame | undefined, maxGap: number): number {
  if (!frame.envelope || !next?.envelope) {
    return maxGap
  }
  const gap = next.envelope.time - frame.envelope.time
  return gap >= 0 && gap <= maxGap ? gap : maxGap
}

async function listResponses(path: string): Promise<string[]> {
  const info = await stat(path).catch((err: unknown) => {
    throw new Error(`REPLAY_PATH ${path} cannot be read: ${String(err)}`)
  })
  if (info.isFile()) {
    return [path]
  }
  const entries = await readdir(path, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && RESPONSE_FILE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}
