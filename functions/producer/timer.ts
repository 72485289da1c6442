import type { Logger } from '../../shared/logger.ts'
import type { Poller } from './poller.ts'

export interface PollTimerOptions {
  poller: Poller
  /** Seconds between ticks; a tick waits longer when the report says the next poll is later. */
  intervalSeconds: number
  logger: Logger
  now?: () => number
}

export interface PollTimer {
  /** Stops scheduling ticks and waits for a running one to finish. */
  stop(): Promise<void>
}

/**
 * Local mode: ticks the poller on its own instead of waiting for PingSource. The first tick runs
 * at once; each next one `intervalSeconds` later, or at the report's `nextPollAt` when that is
 * later (credit pacing, a 429, a replay's recorded pace), so no tick is wasted on a skip.
 */
export function startPollTimer(options: PollTimerOptions): PollTimer {
  const { poller, logger } = options
  const now = options.now ?? Date.now
  const intervalMs = options.intervalSeconds * 1000
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const schedule = (delayMs: number) => {
    if (!stopped) {
      timer = setTimeout(run, Math.max(0, delayMs))
    }
  }
  const run = () => {
    const started = now()
    void poller.tick().then((report) => {
      const nextPoll = report.nextPollAt ? Date.parse(report.nextPollAt) : 0
      schedule(Math.max(started + intervalMs, nextPoll) - now())
    })
  }

  logger.info({ intervalSeconds: options.intervalSeconds }, 'polling on an own timer')
  schedule(0)
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await poller.idle()
    },
  }
}
