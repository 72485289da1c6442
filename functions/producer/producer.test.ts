import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, describe, expect, it } from 'vitest'

import { buildProducer } from '../../tests/fixtures/producer.ts'

/** A CloudEvents receiver that is down: every POST answers 503. */
async function startUnavailableReceiver(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(503).end('unavailable')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

describe('createProducer', () => {
  let receiver: Server | undefined

  afterEach(async () => {
    await new Promise((resolve) => receiver?.close(resolve) ?? resolve(undefined))
  })

  it('counts the events still pending at shutdown as dropped', async () => {
    receiver = await startUnavailableReceiver()
    const { port } = receiver.address() as AddressInfo
    const { producer, registry } = await buildProducer({
      K_SINK: `http://127.0.0.1:${port}/`,
      SINK_RETRIES: '0',
      PRODUCER_SOURCE: 'simulate',
      SIMULATION_AIRCRAFT: '50',
    })
    const report = await producer.poller.tick()
    expect(report).toMatchObject({ status: 'failed', reason: 'sink', pending: 6 })

    await producer.close()

    const dropped = await registry.getSingleMetric('skytrail_producer_events_dropped_total')?.get()
    expect(dropped?.values).toEqual([{ labels: { reason: 'shutdown' }, value: 6 }])
    expect(producer.poller.pendingEvents()).toBe(0)
  })
})
