// One process at a time per embedded database folder: two PGlite instances on the same files
// each keep their own view of them and corrupt the data (a primary key stored twice).
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'

import { isRunning } from '../is-running.ts'

/** The folders this process holds: a lock with its own pid is stale only if not among them. */
const held = new Set<string>()

function readIfThere(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return null
    }
    throw err
  }
}

/**
 * Claims `dir` for this process with `<dir>.lock` holding its pid. A lock whose process is gone
 * (a crash, a kill -9) is taken over. Returns the release, which also runs when the process exits.
 */
export function lockDataDir(dir: string): () => void {
  const file = `${dir}.lock`
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' })
      held.add(file)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err
      }
    }
    const text = readIfThere(file)
    if (text === null) {
      continue // released meanwhile
    }
    const owner = Number(text)
    const inUse =
      text === ''
        ? // Created, its pid not yet written: in use, unless left so by a crash long ago.
          Date.now() - statSync(file).mtimeMs < 10_000
        : owner === process.pid
          ? held.has(file)
          : Number.isInteger(owner) && owner > 0 && isRunning(owner)
    if (inUse) {
      throw new Error(
        `${dir} is in use by process ${owner || 'starting'} (another npm start?): stop it, or ` +
          `set SKYTRAIL_DATA_DIR to another folder. If no such process runs, delete ${file}.`
      )
    }
    // Read again just before removing it: another start may have taken it over meanwhile.
    if (readIfThere(file) === text) {
      rmSync(file, { force: true })
    }
  }
  const release = () => {
    process.off('exit', release)
    held.delete(file)
    if (readIfThere(file) === String(process.pid)) {
      rmSync(file, { force: true })
    }
  }
  process.on('exit', release)
  return release
}
