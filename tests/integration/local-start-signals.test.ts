import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { isRunning } from '../../scripts/is-running.ts'
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

/** `npm start` as a shell's foreground job: its own process group, so a test can signal it. */
async function startInTerminal(dataDir: string) {
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
  return { start, exited }
}

/** Pids of the processes whose parent is `pid`, from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = []
  for (const entry of await readdir('/proc')) {
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (/^\d+$/.test(entry) && ppid === pid) {
      children.push(Number(entry))
    }
  }
  return children
}

describe('npm start in a terminal', () => {
  it('stops on Ctrl-C in order: the producer first, each function once, by SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'skytrail-signals-'))
    const { start, exited } = await startInTerminal(dataDir)
    try {
      // As a terminal's Ctrl-C: the whole foreground group.
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

  it('leaves no function running on its ports when it is killed with SIGKILL', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'skytrail-sigkill-'))
    const { start, exited } = await startInTerminal(dataDir)
    const functions = await childrenOf(start.pid!)
    try {
      expect(functions).toHaveLength(FUNCTIONS.length)
      process.kill(start.pid!, 'SIGKILL')
      await exited
      for (let tries = 0; tries < 100 && functions.some(isRunning); tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      // Their logs went through npm start, so only their absence tells they stopped.
      expect(functions.filter(isRunning)).toEqual([])
    } finally {
      functions.filter(isRunning).forEach((pid) => process.kill(pid, 'SIGKILL'))
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
