import { type LogEntry, logLevel } from 'kafkajs'

import type { Logger } from '../logger.ts'

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

/** kafkajs's `logCreator`: its lines go to our JSON logger, at their own level. */
export function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry): void => {
      const { message, timestamp: _timestamp, logger: _name, ...details } = log
      // kafkajs warns about its own retry limit on every idempotent producer; we limit on purpose.
      const quiet = message.startsWith('Limiting retries for the idempotent producer')
      const method = quiet ? 'debug' : (LEVELS[level] ?? 'info')
      logger[method]({ kafkajs: namespace, ...details }, message)
    }
}
