import { pino } from 'pino'

import type { Logger } from '../../shared/logger.ts'

/** A JSON logger like the function's, whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const logger = pino(
    { level: 'debug', formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }
  )
  return { logger, lines }
}
