import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { useTestDatabase } from '../helpers/postgres.ts'

const database = useTestDatabase()
const FUNCTIONS = ['producer', 'processor', 'sweeper', 'dashboard'] as const

interface LogLine {
  time: string
  msg: string
  signal?: string
}

async function shutdownLines(logDir: string, name: string): Promise<LogLine[]> {
  const text = await readFile(join(logDir, `${name}.log`), 'utf8')
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.msg === 'shutting down' || line.msg === 'stopped')
}

describe('npm start in a terminal', () => {
  it('stops on Ctrl-C in order: the producer first, each function once, by SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'skytrail-signals-'))
    // Its own process group, like a shell's foreground job, so the test can signal the group
    // as a terminal's Ctrl-C does.
    const start = spawn(
      process.execPath,
      [
        '--disable-warning=TimeoutNegativeWarning',
        join(import.meta.dirname, '../../scripts/local/start.ts'),
        '--source',
        'simulate',
        '--logs',
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: database().url,
          SKYTRAIL_DATA_DIR: dataDir,
          PORT: '0',
          KAFKA_BROKERS: '',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      }
    )
    try {
      const exited = new Promise<number | null>((resolve) => start.once('exit', resolve))
      let stderr = ''
      await new Promise<void>((resolve, reject) => {
        start.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString()
          if (stderr.includes('Skytrail is running')) {
            resolve()
          }
        })
        void exited.then((code) => reject(new Error(`npm start exited (${code}): ${stderr}`)))
      })

      process.kill(-start.pid!, 'SIGINT')
      expect(await exited).toBe(0)

      const logDir = join(dataDir, 'logs')
      const lines = Object.fromEntries(
        await Promise.all(
          FUNCTIONS.map(async (name) => [name, await shutdownLines(logDir, name)] as const)
        )
      )
      for (const name of FUNCTIONS) {
        expect(lines[name], name).toMatchObject([
          { msg: 'shutting down', signal: 'SIGTERM' },
          { msg: 'stopped' },
        ])
      }
      const producerStopped = Date.parse(lines.producer![1]!.time)
      for (const name of ['processor', 'sweeper'] as const) {
        expect(Date.parse(lines[name]![0]!.time), name).toBeGreaterThanOrEqual(producerStopped)
      }
    } finally {
      // A failed run leaves nothing behind: the parent and, on its exit, the functions stop.
      if (start.exitCode === null && start.signalCode === null) {
        process.kill(-start.pid!, 'SIGTERM')
      }
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
