import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'

import type { Logger } from '../../../shared/logger.ts'
import type { ProducerMetrics } from '../metrics.ts'
import type { StatesResponse } from '../opensky-client.ts'

const gzipAsync = promisify(gzip)

/**
 * Recording layout, which `replay` reads back: `<dir>/<YYYY-MM-DD>/states-<time>.json.gz`, one
 * gzipped response body per poll, byte for byte as OpenSky sent it, one folder per UTC day.
 * Sorting the paths sorts the polls by time.
 */
export function recordingPath(dir: string, time: number): string {
  const day = new Date(time * 1000).toISOString().slice(0, 10)
  return join(dir, day, `states-${time}.json.gz`)
}

export interface RecorderOptions {
  dir: string
  logger: Logger
  metrics: ProducerMetrics
}

/** Saves each good live response under `dir`; a failed save is logged and counted, never thrown. */
export function createRecorder({ dir, logger, metrics }: RecorderOptions) {
  return async function saveResponse(
    response: Extract<StatesResponse, { kind: 'ok' }>
  ): Promise<void> {
    const path = recordingPath(dir, response.envelope.time)
    try {
      await mkdir(join(path, '..'), { recursive: true })
      const temporary = `${path}.${process.pid}.tmp`
      await writeFile(temporary, await gzipAsync(response.body))
      // Rename is atomic: a replay reading the folder never sees half a file.
      await rename(temporary, path)
      logger.debug({ path }, 'response recorded')
    } catch (err) {
      metrics.errors.inc({ kind: 'record' })
      logger.error({ err, path }, 'could not record the response')
    }
  }
}
