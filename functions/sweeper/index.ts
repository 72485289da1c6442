import { createPool } from '../../shared/db/pool.ts'
import { serveApp } from '../../shared/http/serve.ts'
import { createLogger } from '../../shared/logger.ts'
import { createApp } from './app.ts'
import { loadConfig, REVISION_TIMEOUT_SECONDS } from './config.ts'

const config = loadConfig()
const logger = createLogger('sweeper', config.logLevel)
const pool = createPool(config.databaseUrl, {
  max: config.databasePoolMax,
  applicationName: 'skytrail-sweeper',
  logger,
})

await serveApp({
  app: createApp({ config, logger, pool }),
  port: config.port,
  logger,
  onShutdown: () => pool.end(),
  revisionTimeoutSeconds: REVISION_TIMEOUT_SECONDS,
})
