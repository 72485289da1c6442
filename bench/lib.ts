// Small helpers shared by the benchmarks: databases, child processes, statistics, results.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

import pg from 'pg'

import { migrate } from '../shared/db/migrate.ts'
import { silentLogger } from '../shared/logger.ts'
import {
  adminQuery,
  databaseUrl,
  dropDatabase,
  TEST_SERVER_URL,
  uniqueDatabaseName,
} from '../tests/helpers/postgres-admin.ts'

export const ROOT = join(import.meta.dirname, '..')

/** A freshly migrated database on the local server, dropped by `drop()`. */
export async function freshDatabase(prefix = 'skytrail_bench') {
  const name = uniqueDatabaseName(prefix)
  await adminQuery(`CREATE DATABASE "${name}"`)
  const url = databaseUrl(name)
  await migrate({ databaseUrl: url, logger: silentLogger })
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  return {
    url,
    pool,
    async drop() {
      await pool.end()
      await dropDatabase(name)
    },
  }
}

/** The node flags of a Dockerfile target's CMD, so a benchmark runs the bundle as it ships. */
export function dockerNodeFlags(target: string): string[] {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  const stage = dockerfile.split(/^FROM /m).find((block) => block.includes(` AS ${target}\n`))
  const cmd = stage && /^CMD (\[.*\])$/m.exec(stage)?.[1]
  if (!cmd) {
    throw new Error(`no CMD for target ${target} in the Dockerfile`)
  }
  const args = JSON.parse(cmd) as string[]
  return args.slice(1, -1)
}

/** Starts `node [flags] <script>` with `env`, waits until `readyUrl` answers 200. */
export async function startNode(
  script: string,
  env: Record<string, string>,
  readyUrl: string,
  flags: string[] = []
) {
  const child = spawn(process.execPath, [...flags, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${script} exited with code ${child.exitCode}`)
    }
    try {
      if ((await fetch(readyUrl)).ok) {
        break
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${script} did not become ready at ${readyUrl}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    pid: child.pid!,
    /** Resident set size now and at its peak, in MiB, from /proc. */
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const kib = (field: string) =>
        Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
      return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 }
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return Number.NaN
  }
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, index)]!
}

export function summarize(samplesMs: number[]) {
  const sorted = [...samplesMs].sort((a, b) => a - b)
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
  }
}

export function machine() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    postgres: TEST_SERVER_URL.replace(/\/\/[^@]*@/, '//'),
  }
}

export function writeResult(name: string, result: unknown): string {
  const dir = join(ROOT, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  return file
}

export function table(rows: Record<string, string | number>[]): string {
  const columns = Object.keys(rows[0] ?? {})
  const cell = (value: string | number) =>
    typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(1)) : value
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)))
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ')
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => cell(r[c] ?? '')))),
  ].join('\n')
}
