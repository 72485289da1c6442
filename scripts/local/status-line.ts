// One compact, continuously updated console line instead of a log flood.
import { databaseErrorCode } from '../../shared/db/errors.ts'
import type { LocalPipeline } from './pipeline.ts'

interface Counts {
  live: number
  open: number
  ended: number
  received: number
}

export function startStatusLine(pipeline: LocalPipeline, out: NodeJS.WriteStream, everyMs = 2_000) {
  let previous: { counts: Counts; at: number } | undefined
  let lastPrinted = 0
  // Why the producer's polls fail, shown until states flow again: a replay of a bad file (retried
  // only when due, the ticks between are skipped) would otherwise look like a quiet sky.
  let problem = ''
  let failuresSeen = 0
  const render = async () => {
    const { rows } = await pipeline.pool.query<Counts>(`
      SELECT (SELECT count(*) FROM live_flights)::int AS live,
             (SELECT count(*) FROM flight_histories WHERE end_time IS NULL)::int AS open,
             (SELECT count(*) FROM flight_histories WHERE end_time IS NOT NULL)::int AS ended,
             (SELECT coalesce(sum(states_received), 0) FROM pipeline_status)::float8 AS received`)
    const counts = rows[0]!
    const now = Date.now()
    const rate = previous
      ? ((counts.received - previous.counts.received) / (now - previous.at)) * 1000
      : 0
    previous = { counts, at: now }
    const lag = pipeline.dispatcher ? `  lag ${(await pipeline.dispatcher.lag()).total}` : ''
    const time = new Date().toLocaleTimeString('en-GB', { hour12: false })
    const producer = pipeline.tickers.producer.stats()
    if (producer.failures > failuresSeen) {
      failuresSeen = producer.failures
      const reason = producer.lastFailure ?? ''
      problem = reason.length > 120 ? `${reason.slice(0, 119)}…` : reason
    } else if (rate > 0) {
      problem = ''
    }
    show(
      `${time}  states/s ${rate.toFixed(0).padStart(5)}  aircraft live ${counts.live}` +
        `  flights open ${counts.open} ended ${counts.ended}${lag}  polls ${producer.ticks}` +
        (problem && `  last poll failed: ${problem}`)
    )
  }
  const show = (text: string) => {
    const now = Date.now()
    if (out.isTTY) {
      out.write(`\r\x1b[2K${text}`)
    } else if (now - lastPrinted >= 30_000) {
      out.write(`${text}\n`)
      lastPrinted = now
    }
  }
  let running = false
  const timer = setInterval(() => {
    if (running) {
      return
    }
    running = true
    render()
      .catch((err: unknown) => show(`status unavailable: ${databaseErrorCode(err)}`))
      .finally(() => (running = false))
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      if (out.isTTY) {
        out.write('\n')
      }
    },
  }
}
