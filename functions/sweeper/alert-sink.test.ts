import { HTTP } from 'cloudevents'
import { describe, expect, it } from 'vitest'

import { ALERT_RAISED_EVENT_TYPE } from '../../shared/events/index.ts'
import { toAlertCloudEvent } from './alert-sink.ts'

const row = {
  id: '7',
  eventId: '0b0f6f3e-4c5e-4d55-9d1c-3a8f9c0e2b11',
  alert: 'data-freshness',
  type: ALERT_RAISED_EVENT_TYPE,
  data: { alert: 'data-freshness', state: 'raised', value: 412 },
  createdAt: new Date('2026-07-01T12:00:00Z'),
  attempts: 2,
}

describe('toAlertCloudEvent', () => {
  it('keeps the transition id and time, so a retried send is the same event', () => {
    const event = toAlertCloudEvent(row, { cluster: 'prod' })
    expect(event).toMatchObject({
      id: row.eventId,
      type: ALERT_RAISED_EVENT_TYPE,
      source: '/functions/sweeper',
      subject: 'data-freshness',
      time: '2026-07-01T12:00:00.000Z',
      cluster: 'prod',
      data: row.data,
    })
  })

  it('encodes to binary mode with ce- headers and JSON data', () => {
    const { headers, body } = HTTP.binary(toAlertCloudEvent(row, {}))
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'ce-id': row.eventId,
      'ce-type': ALERT_RAISED_EVENT_TYPE,
      'ce-subject': 'data-freshness',
    })
    expect(JSON.parse(body as string)).toEqual(row.data)
  })

  it('does not let an override replace a core attribute', () => {
    const event = toAlertCloudEvent(row, { source: 'elsewhere', id: 'x' })
    expect(event).toMatchObject({ source: '/functions/sweeper', id: row.eventId })
  })
})
