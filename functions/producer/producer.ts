import type { Registry } from 'prom-client'

import type { Logger } from '../../shared/logger.ts'
import type { ProducerConfig } from './config.ts'
import { CreditPacer, requestCost } from './credits.ts'
import { statesEventSource } from './events.ts'
import { createProducerMetrics } from './metrics.ts'
import { createTokenProvider, readCredentialsFile } from './opensky-auth.ts'
import { createOpenSkyClient } from './opensky-client.ts'
import { createPoller, type Poller } from './poller.ts'
import { createHttpSink } from './sinks/http-sink.ts'
import { createKafkaSink } from './sinks/kafka-sink.ts'
import type { EventSink } from './sinks/sink.ts'
import { createLiveSource } from './sources/live.ts'
import { createRecorder } from './sources/record.ts'
import { createReplaySource } from './sources/replay.ts'
import { createSimulatedSource } from './sources/simulate.ts'
import type { StatesSource } from './sources/source.ts'

export interface ProducerDeps {
  logger: Logger
  registry: Registry
  now?: () => number
}

export interface Producer {
  poller: Poller
  /** Waits for a running tick, drops the events still undelivered, then closes the sink. */
  close(): Promise<void>
}

/**
 * Builds the producer from its configuration: the source (live, record, replay, simulate), the
 * sink (Kafka or HTTP) and the poller joining them. The local runner calls this too.
 */
export async function createProducer(
  config: ProducerConfig,
  deps: ProducerDeps
): Promise<Producer> {
  const { logger, registry } = deps
  const now = deps.now ?? Date.now
  const metrics = createProducerMetrics(registry)
  const source = await createSource(config, deps, metrics)
  const sink = createSink(config, logger)
  const poller = createPoller({
    source,
    sink,
    buckets: config.buckets,
    pendingLimits: config.pendingLimits,
    tickBudgetMs: config.tickBudgetMs,
    logger,
    metrics,
    now,
  })
  logger.info(
    { source: source.name, sink: sink.kind, buckets: config.buckets, ...source.status?.(now()) },
    `producing from ${source.name} into ${sink.kind}`
  )
  return {
    poller,
    async close() {
      await poller.idle()
      poller.dropPending()
      await sink.close()
    },
  }
}

function createSink(config: ProducerConfig, logger: Logger): EventSink {
  const sink = config.sink
  if (sink.kind === 'kafka') {
    return createKafkaSink({ ...sink, partitions: config.buckets, logger })
  }
  return createHttpSink({ url: sink.url, timeoutMs: sink.timeoutMs, retries: sink.retries, logger })
}

async function createSource(
  config: ProducerConfig,
  { logger, now = Date.now }: ProducerDeps,
  metrics: ReturnType<typeof createProducerMetrics>
): Promise<StatesSource> {
  switch (config.source) {
    case 'simulate':
      return createSimulatedSource({
        ...config.simulation,
        bbox: config.opensky.bbox,
        nowMs: now(),
      })
    case 'replay':
      return createReplaySource({
        path: config.replay.path as string,
        speed: config.replay.speed,
        loop: config.replay.loop,
        maxGapSeconds: config.replay.maxGapSeconds,
        logger,
      })
    default: {
      const { opensky } = config
      const credentials =
        opensky.credentials ??
        (opensky.credentialsFile ? await readCredentialsFile(opensky.credentialsFile) : null)
      const auth = credentials
        ? createTokenProvider({
            authUrl: opensky.authUrl,
            credentials,
            timeoutMs: opensky.timeoutMs,
            now,
          })
        : null
      if (!auth) {
        logger.info('no OpenSky credentials: polling anonymously')
      }
      const client = createOpenSkyClient({
        apiUrl: opensky.apiUrl,
        bbox: opensky.bbox,
        auth,
        timeoutMs: opensky.timeoutMs,
        retries: opensky.retries,
        retryBaseDelayMs: 1000,
        logger,
      })
      const pacer = new CreditPacer({
        cost: requestCost(opensky.bbox),
        dailyCredits: opensky.dailyCredits,
        nowMs: now(),
      })
      const recording = config.source === 'record' && config.recordDir
      return createLiveSource({
        client,
        pacer,
        logger,
        eventSource: statesEventSource('live', opensky.bbox),
        name: recording ? 'record' : 'opensky',
        onResponse: recording
          ? createRecorder({ dir: config.recordDir as string, logger, metrics })
          : undefined,
      })
    }
  }
}
