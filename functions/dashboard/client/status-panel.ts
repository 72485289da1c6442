import type { StatusResponse } from '../api-types.ts'
import { byId, el, fillDefinitions } from './dom.ts'
import { formatAge, formatCount, formatUtc } from './format.ts'

function describeLag(status: StatusResponse): string {
  const lag = status.kafkaLag
  if (lag === null) {
    return 'no report yet'
  }
  if (!lag.enabled) {
    return 'not monitored'
  }
  if (!lag.available) {
    return `unavailable: ${lag.error}`
  }
  const partitions = lag.partitions.map((p) => `p${p.partition}: ${formatCount(p.lag)}`).join(', ')
  return `${formatCount(lag.total)} records${partitions ? ` (${partitions})` : ''}`
}

export interface StatusView {
  /** The newest status the server gave, if any. */
  status: StatusResponse | null
  /** Seconds since that status arrived: its ages go on growing while the server is away. */
  receivedSecondsAgo: number
  /** Why the latest refresh got no answer, or null when it did. */
  failure: string | null
}

const older = (age: number | null, seconds: number) => (age === null ? null : age + seconds)

/** The status tab and the one-line summary in the top bar. */
export function renderStatus(view: StatusView, aircraftShown: number): void {
  const summary = byId('summary')
  const unreachable = view.failure === null ? null : `no answer from the server: ${view.failure}`
  if (!view.status) {
    summary.textContent = unreachable ?? 'Loading…'
    summary.classList.toggle('bad', unreachable !== null)
    return
  }
  const status = view.status
  const age = older(status.freshness.ageSeconds, view.receivedSecondsAgo)
  const freshness = {
    ...status.freshness,
    ageSeconds: age,
    stale: status.freshness.stale || (age !== null && age > status.freshness.staleAfterSeconds),
  }
  const sweep = status.lastSweep && {
    ...status.lastSweep,
    ageSeconds: older(status.lastSweep.ageSeconds, view.receivedSecondsAgo),
  }
  const freshnessText = freshness.lastWriteAt
    ? `${formatAge(freshness.ageSeconds)}${freshness.stale ? ' (stale)' : ''}`
    : 'no data written yet'
  fillDefinitions(byId('status-panel'), [
    ['Data freshness', el('span', { class: freshness.stale ? 'bad' : 'good' }, freshnessText)],
    ['Newest data time', formatUtc(freshness.lastDataTime)],
    ['Kafka lag', describeLag(status)],
    ['Aircraft live', formatCount(status.aircraftLive)],
    ['Flights open', formatCount(status.flightsOpen)],
    ['Flights ended today (UTC)', formatCount(status.flightsEndedToday)],
    [
      'Last sweep',
      sweep
        ? `${formatAge(sweep.ageSeconds)}, ${formatCount(sweep.flightsEnded)} flights ended`
        : 'none yet',
    ],
    ['Delivery streams', formatCount(freshness.streams)],
  ])
  const alerts = byId('status-alerts')
  alerts.replaceChildren(
    ...(status.alerts.length === 0
      ? [el('li', { class: 'muted' }, 'none')]
      : status.alerts.map((alert) =>
          el(
            'li',
            { class: 'bad' },
            el('strong', {}, alert.name),
            ` value ${alert.value ?? '–'}, threshold ${alert.threshold ?? '–'}, raised ${formatUtc(alert.raisedAt)}`
          )
        ))
  )

  const parts = [
    ...(unreachable === null ? [] : [unreachable]),
    `${formatCount(aircraftShown)} aircraft`,
    freshness.lastWriteAt ? `data ${formatAge(freshness.ageSeconds)}` : 'no data yet',
  ]
  const lag = status.kafkaLag
  if (lag?.enabled && lag.available) {
    parts.push(`lag ${formatCount(lag.total)}`)
  }
  if (status.alerts.length > 0) {
    parts.push(`${status.alerts.length} alert${status.alerts.length === 1 ? '' : 's'}`)
  }
  summary.textContent = parts.join(' · ')
  summary.classList.toggle(
    'bad',
    unreachable !== null || freshness.stale || status.alerts.length > 0
  )
}
