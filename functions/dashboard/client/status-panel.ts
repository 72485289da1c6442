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

/** The status tab and the one-line summary in the top bar. */
export function renderStatus(status: StatusResponse, aircraftShown: number): void {
  const freshness = status.freshness
  const sweep = status.lastSweep
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
  const summary = byId('summary')
  summary.textContent = parts.join(' · ')
  summary.classList.toggle('bad', freshness.stale || status.alerts.length > 0)
}
