import type { TestProject } from 'vitest/node'

import { migrate } from '../../shared/db/migrate.ts'
import { silentLogger } from '../../shared/logger.ts'
import {
  adminQuery,
  databaseUrl,
  dropDatabase,
  TEST_SERVER_URL,
  uniqueDatabaseName,
} from '../helpers/postgres-admin.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database that each test file clones into its own fresh database. */
    postgresTemplate: string
  }
}

/**
 * Migrates one template database for the whole run; test files clone it (`CREATE DATABASE ...
 * TEMPLATE`), which takes milliseconds, instead of migrating a database each.
 */
export default async function setup(project: TestProject) {
  const template = uniqueDatabaseName('skytrail_template')
  try {
    await adminQuery(`CREATE DATABASE "${template}"`)
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_SERVER_URL} (set TEST_DATABASE_URL): ${String(err)}`,
      { cause: err }
    )
  }
  await migrate({ databaseUrl: databaseUrl(template), logger: silentLogger })
  project.provide('postgresTemplate', template)
  return async () => {
    await dropDatabase(template)
  }
}
