import { pino } from 'pino'

import type { LOG_LEVELS } from './config.ts'

export type Logger = pino.Logger
export type LogLevel = (typeof LOG_LEVELS)[number]

/**
 * JSON lines on stdout, one object per event, with the function's name on every line and an ISO
 * time, which is what log collectors in a cluster expect.
 */
export function createLogger(service: string, level: LogLevel = 'info'): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Written at once, in order: pino's default buffers, and when a busy pipe makes a write wait,
    // the lines flushed at exit can overtake it ('stopped' before 'shutting down'). A function
    // logs a line or two per request, so the blocking write costs nothing measurable.
    pino.destination({ dest: 1, sync: true })
  )
}

/** A logger that writes nothing, for tests. */
export const silentLogger: Logger = pino({ level: 'silent' })
