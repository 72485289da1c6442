import { createPool } from '../../shared/db/pool.ts'
import { serveApp } from '../../shared/http/serve.ts'
import { createLogger } from '../../shared/logger.ts'
import { createApp } from './app.ts'
import { loadConfig } from './config.ts'

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
  // A tick may run for minutes (its time budget, then alerts); the revision allows 300 s.
  shutdownTimeoutMs: 295_000,
})
