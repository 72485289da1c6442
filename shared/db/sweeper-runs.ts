import type { Pool, PoolClient } from './pool.ts'

export interface SweeperRun {
  startedAt: Date
  finishedAt: Date
  flightsEnded: number
  report: unknown
}

/** Stores one tick's report; the dashboard shows the newest. */
export async function insertSweeperRun(db: Pool | PoolClient, run: SweeperRun): Promise<void> {
  await db.query({
    name: 'insert-sweeper-run',
    text: `
      INSERT INTO sweeper_runs (started_at, finished_at, flights_ended, report)
      VALUES ($1, $2, $3, $4)`,
    values: [run.startedAt, run.finishedAt, run.flightsEnded, JSON.stringify(run.report)],
  })
}

/** Deletes runs that finished more than `days` ago; returns how many. */
export async function pruneSweeperRuns(db: Pool | PoolClient, days: number): Promise<number> {
  const { rowCount } = await db.query({
    name: 'prune-sweeper-runs',
    text: `DELETE FROM sweeper_runs WHERE finished_at < now() - make_interval(days => $1)`,
    values: [days],
  })
  return rowCount ?? 0
}
