import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { useTestDatabase } from '../helpers/postgres.ts'

const database = useTestDatabase()
const START = join(import.meta.dirname, '../../scripts/local/start.ts')
const dirs: string[] = []
const running = new Set<ChildProcess>()

afterAll(async () => {
  // Should a test fail while npm start still runs, it stops here, as on Ctrl-C.
  await Promise.all(
    [...running].map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGINT')
      await exited
    })
  )
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skytrail-start-errors-'))
  dirs.push(dir)
  return dir
}

/**
 * Runs `npm start` with `args` until it exits, or until its output shows `until`; then it is
 * stopped with SIGINT, as Ctrl-C would.
 */
async function runStart(args: string[], env: Record<string, string>, until?: string) {
  const child = spawn(process.execPath, [START, ...args], {
    env: {
      ...process.env,
      KAFKA_BROKERS: '',
      PORT: '0',
      SKYTRAIL_DATA_DIR: await dataDir(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  let output = ''
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (until && output.includes(until)) {
        child.kill('SIGINT')
      }
    })
  }
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, output }
}

describe('npm start: mistakes get a message on the console naming them', () => {
  it('rejects an unknown option with the usage', async () => {
    const { code, output } = await runStart(['--bogus'], {})
    expect(code).toBe(2)
    expect(output).toContain("Unknown option '--bogus'")
    expect(output).toContain('Usage: npm start')
  })

  it('rejects --replay with another source', async () => {
    const { code, output } = await runStart(['--replay', 'x.json', '--source', 'simulate'], {})
    expect(code).toBe(2)
    expect(output).toContain('--replay plays recorded responses, so it goes with --source replay')
  })

  it('shows why a function refused its settings, not only where its log is', async () => {
    const { code, output } = await runStart(['--source', 'simulate'], {
      DATABASE_URL: database().url,
      OPENSKY_BBOX: '45.8,17.2,55.1,5.9',
    })
    expect(code).toBe(1)
    expect(output).toContain('producer exited with code 1 at start-up')
    expect(output).toContain('- OPENSKY_BBOX: lamin must be below lamax and lomin below lomax')
  })

  it('refuses an embedded database folder another npm start holds', async () => {
    const dir = await dataDir()
    // The lock of a running process: this test's.
    await writeFile(join(dir, 'pglite.lock'), String(process.pid))
    const { code, output } = await runStart(['--source', 'simulate'], { SKYTRAIL_DATA_DIR: dir })
    expect(code).toBe(1)
    expect(output).toContain(`${join(dir, 'pglite')} is in use by process ${process.pid}`)
  })

  it('shows on the status line why the producer’s polls fail', async () => {
    const { output } = await runStart(
      ['--replay', join(import.meta.dirname, '../../package.json')],
      { DATABASE_URL: database().url },
      'last poll failed'
    )
    expect(output).toMatch(
      /last poll failed: bad recording .*package\.json: not an OpenSky states envelope/
    )
  })

  it('takes --replay alone as the replay source', async () => {
    const { code, output } = await runStart(
      ['--replay', join(import.meta.dirname, '../fixtures/opensky')],
      { DATABASE_URL: database().url },
      'Skytrail is running'
    )
    expect(output).toMatch(/Source +replay/)
    expect(code).toBe(0)
  })
})
