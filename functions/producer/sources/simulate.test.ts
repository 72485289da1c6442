import { describe, expect, it } from 'vitest'

import { DACH_BBOX } from '../bbox.ts'
import { statesEventSource } from '../events.ts'
import { createSimulator } from '../simulator/index.ts'
import { createSimulatedSource } from './simulate.ts'

const START = Date.UTC(2026, 2, 10, 12)

describe('simulated source', () => {
  it('runs simulated time faster by the speed but stamps polls with the wall clock', async () => {
    const options = { seed: 4, aircraft: 300, speed: 10, bbox: DACH_BBOX }
    const source = createSimulatedSource({ ...options, nowMs: START })
    const result = await source.poll(START + 60_000)
    expect(result.kind).toBe('states')
    if (result.kind !== 'states') {
      return
    }
    expect(result.envelope.time).toBe(START / 1000 + 60)
    // ten minutes of simulated flight after one minute on the clock
    const simulator = createSimulator({ ...options, epoch: START / 1000 })
    const expected = simulator.stateAt(START / 1000 + 600)
    expect(result.envelope.states).toHaveLength(expected.states.length)
    const [row] = result.envelope.states as unknown[][]
    const [simulated] = expected.states
    expect(row![0]).toBe(simulated![0])
    expect(row![5]).toBe(simulated![5])
    expect(row![4]).toBe(simulated![4] - 540)
    expect(source.eventSource).toBe(statesEventSource('simulate', DACH_BBOX))
    expect(source.eventSource).toBe('/skytrail/producer/simulate/bbox/45.8,5.9,55.1,17.2')
  })
})
