// `npm run db:migrate`: applies pending migrations to DATABASE_URL. Also bundled as
// dist/migrate.mjs for the cluster's migration Job.
import { z } from 'zod'

import { baseEnv, parseConfig, postgresUrl } from '../shared/config.ts'
import { migrate } from '../shared/db/migrate.ts'
import { createLogger } from '../shared/logger.ts'

const config = parseConfig(z.object({ DATABASE_URL: postgresUrl, LOG_LEVEL: baseEnv.LOG_LEVEL }))
const logger = createLogger('migrate', config.LOG_LEVEL)

try {
  await migrate({ databaseUrl: config.DATABASE_URL, logger })
} catch (err) {
  logger.error({ err }, 'migration failed')
  process.exitCode = 1
}
