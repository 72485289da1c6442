import type pg from 'pg'

/** Counts, the last sweep and active alerts; freshness is shared/db/freshness.ts. */
export interface PipelineOverview {
  aircraftLive: number
  flightsOpen: number
  /** Flights whose end_time falls on the UTC day of `now`. */
  flightsEndedToday: number
  lastSweep: {
    startedAt: Date
    finishedAt: Date
    flightsEnded: number
    /** The sweeper's JSON report, as stored: check its shape before use. */
    report: unknown
  } | null
  activeAlerts: {
    name: string
    value: number | null
    threshold: number | null
    details: unknown
    raisedAt: Date | null
  }[]
}

/**
 * What the status panel shows, read in one statement so every figure comes from one snapshot.
 * `now` is passed in so "today" follows the caller's clock.
 */
export async function selectPipelineOverview(
  client: pg.Pool | pg.PoolClient,
  now: Date
): Promise<PipelineOverview> {
  const { rows } = await client.query<{
    aircraft_live: number
    flights_open: number
    flights_ended_today: number
    last_sweep: {
      started_at: string
      finished_at: string
      flights_ended: number
      report: unknown
    } | null
    active_alerts: {
      name: string
      value: number | null
      threshold: number | null
      details: unknown
      raised_at: string | null
    }[]
  }>({
    text: `SELECT
  (SELECT count(*)::int FROM live_flights) AS aircraft_live,
  (SELECT count(*)::int FROM flight_histories WHERE end_time IS NULL) AS flights_open,
  (SELECT count(*)::int FROM flight_histories
    WHERE end_time >= date_trunc('day', $1::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      AND end_time < (date_trunc('day', $1::timestamptz AT TIME ZONE 'UTC') + interval '1 day')
                     AT TIME ZONE 'UTC') AS flights_ended_today,
  (SELECT json_build_object('started_at', started_at, 'finished_at', finished_at,
                            'flights_ended', flights_ended, 'report', report)
     FROM sweeper_runs ORDER BY finished_at DESC LIMIT 1) AS last_sweep,
  (SELECT coalesce(json_agg(json_build_object('name', name, 'value', value,
                            'threshold', threshold, 'details', details, 'raised_at', raised_at)
                            ORDER BY raised_at DESC NULLS LAST, name), '[]')
     FROM pipeline_alerts WHERE active) AS active_alerts`,
    values: [now],
  })
  const row = rows[0]
  if (!row) {
    throw new Error('pipeline overview query returned no row')
  }
  const sweep = row.last_sweep
  return {
    aircraftLive: row.aircraft_live,
    flightsOpen: row.flights_open,
    flightsEndedToday: row.flights_ended_today,
    lastSweep: sweep
      ? {
          startedAt: new Date(sweep.started_at),
          finishedAt: new Date(sweep.finished_at),
          flightsEnded: sweep.flights_ended,
          report: sweep.report,
        }
      : null,
    activeAlerts: row.active_alerts.map((alert) => ({
      name: alert.name,
      value: alert.value,
      threshold: alert.threshold,
      details: alert.details,
      raisedAt: alert.raised_at === null ? null : new Date(alert.raised_at),
    })),
  }
}
