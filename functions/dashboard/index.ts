import { createPool } from '../../shared/db/pool.ts'
import { serveApp } from '../../shared/http/serve.ts'
import { createLogger } from '../../shared/logger.ts'
import { createApp } from './app.ts'
import { loadClientAssets } from './client-assets.ts'
import { loadConfig, REVISION_TIMEOUT_SECONDS } from './config.ts'

const config = loadConfig()
const logger = createLogger('dashboard', config.logLevel)
const pool = createPool(config.databaseUrl, {
  applicationName: 'skytrail-dashboard',
  logger,
  max: config.databasePoolMax,
  statementTimeoutMillis: 10_000,
  readOnly: true,
})
const assets = await loadClientAssets()
const app = createApp({ config, logger, pool, assets })

await serveApp({
  app,
  port: config.port,
  logger,
  onShutdown: () => pool.end(),
  revisionTimeoutSeconds: REVISION_TIMEOUT_SECONDS,
})
