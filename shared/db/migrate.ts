import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

import { runner } from 'node-pg-migrate'

import type { Logger } from '../logger.ts'

export const MIGRATIONS_TABLE = 'schema_migrations'

/**
 * Where the numbered SQL files are: `db/migrations` next to the sources (`shared/db/`) or next
 * to a bundle (`dist/`), unless `MIGRATIONS_DIR` says otherwise.
 */
export function findMigrationsDir(explicit = process.env.MIGRATIONS_DIR): string {
  if (explicit) {
    return resolve(explicit)
  }
  const candidates = [
    resolve(import.meta.dirname, '../../db/migrations'),
    resolve(import.meta.dirname, '../db/migrations'),
    resolve(process.cwd(), 'db/migrations'),
  ]
  const found = candidates.find((dir) => existsSync(dir))
  if (!found) {
    throw new Error(`no db/migrations folder found (looked in ${candidates.join(', ')})`)
  }
  return found
}

export interface MigrateOptions {
  databaseUrl: string
  logger: Logger
  dir?: string
}

/**
 * Applies pending migrations (numbered, forward-only SQL files) with node-pg-migrate. All pending
 * files run in one transaction, so a failing one leaves nothing half applied; an advisory lock
 * makes concurrent runs (two pods starting) wait for each other, after which the second finds
 * nothing to do. Returns the names of the migrations applied.
 */
export async function migrate({ databaseUrl, logger, dir }: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: dir ?? findMigrationsDir(),
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    logger: {
      debug: () => {},
      info: (message: string) => logger.debug({ migration: true }, message),
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.error(message),
    },
  })
  const names = applied.map((migration) => migration.name)
  logger.info({ applied: names }, names.length ? 'migrations applied' : 'schema up to date')
  return names
}
