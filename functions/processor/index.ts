import { createPool, pingDatabase } from '../../shared/db/pool.ts'
import { createMetricsRegistry } from '../../shared/http/metrics.ts'
import { serveApp } from '../../shared/http/serve.ts'
import { createLogger } from '../../shared/logger.ts'
import { createApp } from './app.ts'
import { loadConfig, REVISION_TIMEOUT_SECONDS } from './config.ts'
import { createDeliveryWriter } from './delivery.ts'

const config = loadConfig()
const logger = createLogger('processor', config.logLevel)
const pool = createPool(config.databaseUrl, {
  max: config.databasePoolMax,
  applicationName: 'skytrail-processor',
  logger,
})

const app = createApp({
  maxBodyBytes: config.maxBodyBytes,
  logger,
  metrics: createMetricsRegistry('processor'),
  writeDeliveries: createDeliveryWriter(pool, config),
  readiness: () => pingDatabase(pool),
})

await serveApp({
  app,
  port: config.port,
  logger,
  onShutdown: () => pool.end(),
  revisionTimeoutSeconds: REVISION_TIMEOUT_SECONDS,
})
