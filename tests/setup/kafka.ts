import type { TestProject } from 'vitest/node'

import {
  type KafkaBroker,
  missingKafkaTools,
  startKafkaBroker,
} from '../../scripts/kafka/broker.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap servers; empty when Kafka tests are skipped. */
    kafkaBrokers: string
  }
}

/**
 * Gives the integration tests a Kafka broker: the one in TEST_KAFKA_BROKERS if set, else a single-node
 * KRaft broker started here (scripts/kafka/broker.ts) and stopped after the run. Without Java (or,
 * before the jars are cached, Maven) the Kafka tests are skipped, except under CI=true.
 */
export default async function setup(project: TestProject) {
  const external = process.env.TEST_KAFKA_BROKERS?.trim()
  if (external) {
    project.provide('kafkaBrokers', external)
    return
  }

  const missing = missingKafkaTools()
  if (missing.length > 0) {
    const why = `${missing.join(' and ')} not found on PATH and TEST_KAFKA_BROKERS is not set`
    if (process.env.CI === 'true') {
      throw new Error(`Kafka tests need a broker under CI=true: ${why}`)
    }
    console.warn(`Kafka tests skipped: ${why}`)
    project.provide('kafkaBrokers', '')
    return
  }

  let broker: KafkaBroker
  try {
    broker = await startKafkaBroker({ log: (message) => console.warn(message) })
  } catch (error) {
    throw new Error(`could not start a Kafka broker for the tests: ${String(error)}`, {
      cause: error,
    })
  }
  project.provide('kafkaBrokers', broker.brokers)
  return async () => {
    await broker.stop()
  }
}
