import type { BoundingBox } from '../bbox.ts'
import { statesEventSource } from '../events.ts'
import { createSimulator } from '../simulator/index.ts'
import { type PollResult, shiftEnvelope, type StatesSource } from './source.ts'

export interface SimulatedSourceOptions {
  seed: number
  aircraft: number
  /** 10 makes aircraft move ten times as fast; emitted timestamps stay on the wall clock. */
  speed: number
  bbox: BoundingBox
  /** Wall-clock start (ms): the simulation's epoch. */
  nowMs: number
}

/**
 * Simulated traffic over the box, one snapshot per tick. Simulated time runs `speed` times as
 * fast as the wall clock from start-up; each snapshot is stamped with the current time.
 */
export function createSimulatedSource(options: SimulatedSourceOptions): StatesSource {
  const start = Math.floor(options.nowMs / 1000)
  const simulator = createSimulator({
    seed: options.seed,
    aircraft: options.aircraft,
    bbox: options.bbox,
    epoch: start,
  })
  let lastTime = 0
  return {
    name: 'simulate',
    eventSource: statesEventSource('simulate', options.bbox),
    poll(nowMs): Promise<PollResult> {
      const now = Math.floor(nowMs / 1000)
      const simulated = simulator.stateAt(start + (now - start) * options.speed)
      // Strictly increasing times: two ticks in one second still get distinct event ids.
      lastTime = Math.max(now, lastTime + 1)
      return Promise.resolve({
        kind: 'states',
        envelope: shiftEnvelope(simulated, lastTime),
        creditsRemaining: null,
        nextPollAt: null,
      })
    },
    status() {
      return { seed: options.seed, aircraft: options.aircraft, speed: options.speed }
    },
  }
}
