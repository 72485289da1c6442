// Runs each function as its own process from its sources (functions/<name>/index.ts on Node 24),
// configured only through environment variables, exactly as a Knative revision runs its bundle.
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'

import { freePort } from '../free-port.ts'

export const ROOT = join(import.meta.dirname, '..', '..')

export interface FunctionProcess {
  name: string
  url: string
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>
  /** SIGTERM, as Knative sends it, then waits for the process to finish its work and exit. */
  stop(): Promise<void>
}

export interface StartFunctionOptions {
  name: 'producer' | 'processor' | 'sweeper' | 'dashboard'
  env: Record<string, string>
  port?: number
  /** Folder for `<name>.log`, the process's JSON log lines. */
  logDir: string
  /** Also copy the log lines to this stream (e.g. `--logs` on the console). */
  echo?: NodeJS.WritableStream
  readyTimeoutMs?: number
}

export async function startFunction(options: StartFunctionOptions): Promise<FunctionProcess> {
  // 0 means any free port; the URL needs the real one, so it is picked here.
  const port = options.port || (await freePort())
  mkdirSync(options.logDir, { recursive: true })
  const log = createWriteStream(join(options.logDir, `${options.name}.log`), { flags: 'a' })
  const child = spawn(
    process.execPath,
    // kafkajs trips a harmless Node warning on every request timer (tulios/kafkajs#1751).
    [
      '--disable-warning=TimeoutNegativeWarning',
      '--import',
      join(ROOT, 'scripts', 'local', 'exit-with-parent.ts'),
      join(ROOT, 'functions', options.name, 'index.ts'),
    ],
    {
      env: { ...process.env, ...options.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and
      // every function would start shutting down at once; the parent stops them in order instead.
      detached: true,
    }
  )
  // Out of the terminal's group, a function outlives a parent that exits without stopping it.
  const killOnExit = () => child.kill('SIGTERM')
  process.once('exit', killOnExit)
  // The end of what the process printed, to say why it stopped if it does so at start-up.
  let tail = ''
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk)
      tail = (tail + chunk.toString()).slice(-8_000)
      options.echo?.write(prefixLines(options.name, chunk.toString()))
    })
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code))
  )
  exited.finally(() => process.off('exit', killOnExit)).catch(() => {})
  // After 'exit', output may still be in the pipes; 'close' comes once they are drained.
  child.once('close', () => log.end())

  const url = `http://127.0.0.1:${port}`
  await waitUntilReady(child, `${url}/health/readiness`, options, () => tail)
  return {
    name: options.name,
    url,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
      }
      await exited
    },
  }
}

async function waitUntilReady(
  child: ChildProcess,
  url: string,
  options: StartFunctionOptions,
  output: () => string
) {
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000)
  for (;;) {
    if (child.exitCode !== null) {
      // The output may still be on its way when the exit is seen.
      await new Promise((resolve) => setTimeout(resolve, 100))
      throw new Error(
        `${options.name} exited with code ${child.exitCode} at start-up:\n${whyItFailed(output())}\n` +
          `(its whole log: ${join(options.logDir, `${options.name}.log`)})`
      )
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) {
        return
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${options.name} did not become ready at ${url}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
}

function prefixLines(name: string, text: string): string {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => `${name.padEnd(9)} | ${line}\n`)
    .join('')
}

/**
 * The reason in a failed process's output: the message of an uncaught error (Node prints it
 * after the source line, before the stack), or else the last lines.
 */
function whyItFailed(output: string): string {
  const lines = output.split('\n')
  const start = lines.findIndex((line) => /^\w*Error\b/.test(line))
  if (start < 0) {
    return lines.filter(Boolean).slice(-5).join('\n')
  }
  const stack = lines.findIndex((line, i) => i > start && /^\s+at /.test(line))
  return lines
    .slice(start, stack < 0 ? undefined : stack)
    .join('\n')
    .trim()
}
