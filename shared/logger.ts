import { pino } from 'pino'

import type { LOG_LEVELS } from './config.ts'

export type Logger = pino.Logger
export type LogLevel = (typeof LOG_LEVELS)[number]

/**
 * JSON lines on stdout, one object per event, with the function's name on every line and an ISO
 * time, which is what log collectors in a cluster expect.
 */
export function createLogger(service: string, level: LogLevel = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  })
}

/** A logger that writes nothing, for tests. */
export const silentLogger: Logger = pino({ level: 'silent' })
