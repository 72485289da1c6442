import { createMetricsRegistry } from '../../shared/http/metrics.ts'
import { serveApp } from '../../shared/http/serve.ts'
import { createLogger } from '../../shared/logger.ts'
import { createApp } from './app.ts'
import { loadConfig, REVISION_TIMEOUT_SECONDS } from './config.ts'
import { createProducer } from './producer.ts'
import { type PollTimer, startPollTimer } from './timer.ts'

const config = loadConfig()
const logger = createLogger('producer', config.logLevel)
const registry = createMetricsRegistry('producer')
const producer = await createProducer(config, { logger, registry })
const app = createApp({ poller: producer.poller, logger, registry })

let timer: PollTimer | undefined
await serveApp({
  app,
  port: config.port,
  logger,
  onShutdown: async () => {
    await timer?.stop()
    await producer.close()
  },
  revisionTimeoutSeconds: REVISION_TIMEOUT_SECONDS,
})
if (config.intervalSeconds !== null) {
  timer = startPollTimer({
    poller: producer.poller,
    intervalSeconds: config.intervalSeconds,
    logger,
  })
}
