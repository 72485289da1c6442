/**
 * A single-node Kafka (KRaft, broker + controller in one JVM) for local development and the
 * integration tests. The jars come from Maven Central through scripts/kafka/pom.xml and are cached
 * under .cache/kafka/, so only the first run needs Maven; every run needs `java` (17+).
 *
 *   node scripts/kafka/broker.ts fetch                 download the jars (no-op when cached)
 *   node scripts/kafka/broker.ts start [--port 9092] [--data-dir .data/kafka]
 *                                                      run a broker in the foreground until Ctrl-C
 *   node scripts/kafka/broker.ts stop                  stop a broker started with `start`
 *
 * `start` also reads KAFKA_PORT. Without --data-dir the data lives in a temp dir that is removed on
 * stop. Importable: startKafkaBroker(), fetchKafkaClasspath(), missingKafkaTools().
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

import { Kafka, logLevel } from 'kafkajs'

export const KAFKA_VERSION = '4.3.1'

const scriptDir = import.meta.dirname
const repoRoot = path.resolve(scriptDir, '..', '..')
const pomFile = path.join(scriptDir, 'pom.xml')
const log4jConfig = path.join(scriptDir, 'log4j2.properties')
/** Gitignored cache for the jars (and the pid file of `broker.ts start`). */
export const kafkaCacheDir = path.join(repoRoot, '.cache', 'kafka')
const pidFile = path.join(kafkaCacheDir, 'broker.json')

const DEFAULT_JAVA_OPTS = [
  '-Xms128m',
  '-Xmx512m',
  // a test/dev broker: start fast, stay small
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
]

export interface StartKafkaBrokerOptions {
  /** Client (PLAINTEXT) port on 127.0.0.1; default: a free port. */
  port?: number
  /** KRaft controller port on 127.0.0.1; default: a free port. */
  controllerPort?: number
  /** Keep data here across runs (formatted once); default: a temp dir removed by stop(). */
  dataDir?: string
  /** How long to wait for the broker to answer; default 90 s. */
  startTimeoutMs?: number
  /** Replaces the default JVM options (heap, GC). */
  javaOpts?: string[]
  /** Progress messages (Maven fetch); default: silent. */
  log?: (message: string) => void
}

export interface KafkaBroker {
  /** Bootstrap address, e.g. `127.0.0.1:40123`. */
  brokers: string
  port: number
  dataDir: string
  /** The broker's log4j log file. */
  logFile: string
  pid: number
  /** SIGTERM, SIGKILL after a timeout; removes the data dir unless it was given. Idempotent. */
  stop(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// tools and classpath

function javaCommand(): string {
  const javaHome = process.env.JAVA_HOME
  if (javaHome) {
    const candidate = path.join(javaHome, 'bin', 'java')
    if (isExecutable(candidate)) {
      return candidate
    }
  }
  return 'java'
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function onPath(command: string): boolean {
  if (command.includes(path.sep)) {
    return isExecutable(command)
  }
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => isExecutable(path.join(dir, command)))
}

/**
 * What is missing to start a broker here: `java` always, `mvn` only while the jars are not cached.
 * Empty when a broker can be started.
 */
export function missingKafkaTools(): string[] {
  const missing: string[] = []
  if (!onPath(javaCommand())) {
    missing.push('java')
  }
  if (readCachedClasspath() === undefined && !onPath('mvn')) {
    missing.push('mvn')
  }
  return missing
}

function classpathDir(): string {
  const hash = createHash('sha256').update(readFileSync(pomFile)).digest('hex').slice(0, 12)
  return path.join(kafkaCacheDir, `kafka-${KAFKA_VERSION}-${hash}`)
}

/** The cached classpath if complete (the jar list is written last, and every jar still exists). */
function readCachedClasspath(): string | undefined {
  const dir = classpathDir()
  let jars: string[]
  try {
    jars = readFileSync(path.join(dir, 'jars.txt'), 'utf8').split('\n').filter(Boolean)
  } catch {
    return undefined
  }
  const files = jars.map((jar) => path.join(dir, 'libs', jar))
  if (files.length === 0 || !files.every((file) => existsSync(file))) {
    return undefined
  }
  return files.join(path.delimiter)
}

/**
 * Returns the broker's Java classpath, running Maven (`dependency:copy-dependencies` on
 * scripts/kafka/pom.xml) only when .cache/kafka/ does not hold the jars for this pom yet.
 */
export async function fetchKafkaClasspath(log?: (message: string) => void): Promise<string> {
  const cached = readCachedClasspath()
  if (cached !== undefined) {
    return cached
  }
  const dir = classpathDir()
  log?.(`Fetching Kafka ${KAFKA_VERSION} with Maven into ${path.relative(repoRoot, dir)}/ …`)
  await mkdir(kafkaCacheDir, { recursive: true })
  // download into a private dir, then rename: concurrent fetches cannot see half a classpath
  const staging = await mkdtemp(path.join(kafkaCacheDir, 'staging-'))
  try {
    const libs = path.join(staging, 'libs')
    const result = await run(
      'mvn',
      [
        '-B',
        '-q',
        '-ntp',
        '-f',
        pomFile,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${libs}`,
        '-DincludeScope=runtime',
      ],
      { cwd: scriptDir, timeoutMs: 15 * 60_000 }
    )
    if (result.code !== 0) {
      throw new Error(
        `mvn dependency:copy-dependencies failed (${result.reason}):\n${tail(result.output, 40)}`
      )
    }
    const jars = (await readdir(libs)).filter((name) => name.endsWith('.jar')).sort()
    if (!jars.some((jar) => jar.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
      throw new Error(`Maven did not produce kafka_2.13-${KAFKA_VERSION}.jar in ${libs}`)
    }
    await writeFile(path.join(staging, 'jars.txt'), `${jars.join('\n')}\n`)
    await rm(dir, { recursive: true, force: true })
    try {
      await rename(staging, dir)
    } catch (error) {
      // another process finished first; its copy is as good as ours
      if (readCachedClasspath() === undefined) {
        throw error
      }
    }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  const classpath = readCachedClasspath()
  if (classpath === undefined) {
    throw new Error(`Kafka classpath in ${dir} is incomplete after the Maven run`)
  }
  return classpath
}

// ---------------------------------------------------------------------------------------------
// broker

/** A free TCP port on 127.0.0.1 (the OS picks it; it is free again when this returns). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address()
      server.close(() => {
        if (address !== null && typeof address === 'object') {
          resolve(address.port)
        } else {
          reject(new Error('could not determine a free port'))
        }
      })
    })
  })
}

function serverProperties(logDirs: string, port: number, controllerPort: number): string {
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // static quorum: the controller port may change between runs of a persistent data dir
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': logDirs,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // tests create their topics explicitly
    'auto.create.topics.enable': 'false',
    'delete.topic.enable': 'true',
    'num.network.threads': 2,
    'num.io.threads': 4,
    'log.retention.hours': 24,
  }
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`
}

export async function startKafkaBroker(
  options: StartKafkaBrokerOptions = {}
): Promise<KafkaBroker> {
  const missing = missingKafkaTools()
  if (missing.length > 0) {
    throw new Error(`cannot start Kafka: ${missing.join(' and ')} not found on PATH`)
  }
  const classpath = await fetchKafkaClasspath(options.log)
  const persistent = options.dataDir !== undefined
  const dataDir = persistent
    ? path.resolve(options.dataDir ?? '')
    : await mkdtemp(path.join(tmpdir(), 'skytrail-kafka-'))
  const logDirs = path.join(dataDir, 'kraft-combined-logs')
  const logsDir = path.join(dataDir, 'logs')
  const propertiesFile = path.join(dataDir, 'server.properties')
  const logFile = path.join(logsDir, 'server.log')
  const consoleFile = path.join(logsDir, 'console.log')
  const java = javaCommand()
  const jvm = [
    ...(options.javaOpts ?? DEFAULT_JAVA_OPTS),
    `-Dkafka.logs.dir=${logsDir}`,
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    '-cp',
    classpath,
  ]
  const removeDataDir = () => {
    if (!persistent) {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }

  try {
    await mkdir(logsDir, { recursive: true })
    // ports picked here can be taken before the JVM binds them: retry with new ones
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort())
      let controllerPort = options.controllerPort ?? (await freePort())
      while (controllerPort === port) {
        controllerPort = await freePort()
      }
      await writeFile(propertiesFile, serverProperties(logDirs, port, controllerPort))

      if (!existsSync(path.join(logDirs, 'meta.properties'))) {
        const clusterId = randomBytes(16).toString('base64url')
        const format = await run(
          java,
          [
            ...jvm,
            'kafka.tools.StorageTool',
            'format',
            '--config',
            propertiesFile,
            '--cluster-id',
            clusterId,
          ],
          { timeoutMs: 120_000 }
        )
        if (format.code !== 0) {
          throw new Error(
            `kafka-storage format failed (${format.reason}):\n${tail(format.output, 30)}`
          )
        }
      }

      const out = openSync(consoleFile, 'a')
      let child: ChildProcess
      try {
        child = spawn(java, [...jvm, 'kafka.Kafka', propertiesFile], {
          stdio: ['ignore', out, out],
        })
      } finally {
        closeSync(out)
      }
      const broker = trackBroker(child, { dataDir, logFile, port, removeDataDir })
      try {
        await waitUntilReady(broker, options.startTimeoutMs ?? 90_000)
        return broker.handle
      } catch (error) {
        await broker.terminate()
        const portClash = (await logTail(logFile, consoleFile, 200)).includes(
          'Address already in use'
        )
        const portsFixed = options.port !== undefined && options.controllerPort !== undefined
        if (portClash && !portsFixed && attempt < 3) {
          continue
        }
        throw error
      }
    }
  } catch (error) {
    removeDataDir()
    throw error
  }
}

interface TrackedBroker {
  handle: KafkaBroker
  /** Stops the JVM but keeps the data dir (for a retry). */
  terminate: () => Promise<void>
  exited: Promise<void>
  exitReason: () => string | undefined
  logFile: string
  consoleFile: string
}

function trackBroker(
  child: ChildProcess,
  info: { dataDir: string; logFile: string; port: number; removeDataDir: () => void }
): TrackedBroker {
  let exitReason: string | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitReason = signal ? `killed by ${signal}` : `exit code ${code}`
      resolve()
    })
    child.once('error', (error) => {
      exitReason = error.message
      resolve()
    })
  })
  // if this Node process goes away without stop(), do not leave a JVM (or a temp dir) behind
  const onExit = () => {
    if (exitReason === undefined) {
      child.kill('SIGKILL')
    }
    info.removeDataDir()
  }
  process.once('exit', onExit)

  let terminating: Promise<void> | undefined
  const terminate = async (): Promise<void> => {
    terminating ??= (async () => {
      if (exitReason === undefined) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
        await exited
        clearTimeout(timer)
      }
      process.removeListener('exit', onExit)
    })()
    return terminating
  }
  const stop = async (): Promise<void> => {
    await terminate()
    info.removeDataDir()
  }

  return {
    handle: {
      brokers: `127.0.0.1:${info.port}`,
      port: info.port,
      dataDir: info.dataDir,
      logFile: info.logFile,
      pid: child.pid ?? -1,
      stop,
    },
    terminate,
    exited,
    exitReason: () => exitReason,
    logFile: info.logFile,
    consoleFile: path.join(path.dirname(info.logFile), 'console.log'),
  }
}

/** Polls with a kafkajs admin (metadata request) until the broker answers or the deadline passes. */
async function waitUntilReady(broker: TrackedBroker, timeoutMs: number): Promise<void> {
  const started = Date.now()
  const kafka = new Kafka({
    clientId: 'skytrail-kafka-readiness',
    brokers: [broker.handle.brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  })
  let lastError = 'no attempt yet'
  while (Date.now() - started < timeoutMs) {
    const reason = broker.exitReason()
    if (reason !== undefined) {
      throw new Error(
        `Kafka broker exited during startup (${reason}); log tail:\n${await logTail(broker.logFile, broker.consoleFile)}`
      )
    }
    const admin = kafka.admin()
    try {
      await admin.connect()
      await admin.listTopics()
      return
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error)
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
    await Promise.race([broker.exited, sleep(250)])
  }
  throw new Error(
    `Kafka broker at ${broker.handle.brokers} did not answer within ${timeoutMs} ms (last error: ${lastError}); log tail:\n${await logTail(broker.logFile, broker.consoleFile)}`
  )
}

// ---------------------------------------------------------------------------------------------
// helpers

interface RunResult {
  code: number | null
  reason: string
  output: string
}

/** Runs a command to completion, collecting stdout and stderr together. Never throws. */
async function run(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number }
): Promise<RunResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    let reason: string | undefined
    child.once('error', (error) => {
      reason = error.message
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({
        code: reason === undefined ? code : -1,
        reason: reason ?? (signal ? `killed by ${signal}` : `exit code ${code}`),
        output: Buffer.concat(chunks).toString('utf8'),
      })
    })
  })
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

async function logTail(logFile: string, consoleFile: string, lines = 30): Promise<string> {
  const parts: string[] = []
  for (const file of [consoleFile, logFile]) {
    const text = await readFile(file, 'utf8').catch(() => '')
    if (text.trim() !== '') {
      parts.push(`--- ${file}\n${tail(text, lines)}`)
    }
  }
  return parts.length > 0 ? parts.join('\n') : '(no broker output)'
}

async function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// ---------------------------------------------------------------------------------------------
// CLI

interface PidFile {
  pid: number
  javaPid: number
  brokers: string
  dataDir: string
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function readPidFile(): Promise<PidFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(pidFile, 'utf8')) as PidFile
    return isAlive(parsed.pid) ? parsed : undefined
  } catch {
    return undefined
  }
}

async function cliStart(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  })
  const portText = values.port ?? process.env.KAFKA_PORT
  const port = portText === undefined || portText === '' ? undefined : Number(portText)
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new Error(`invalid port: ${portText}`)
  }
  const running = await readPidFile()
  if (running) {
    throw new Error(`a broker is already running at ${running.brokers} (pid ${running.pid})`)
  }

  const broker = await startKafkaBroker({
    ...(port === undefined ? {} : { port }),
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    log: (message) => console.error(message),
  })
  await mkdir(kafkaCacheDir, { recursive: true })
  const info: PidFile = {
    pid: process.pid,
    javaPid: broker.pid,
    brokers: broker.brokers,
    dataDir: broker.dataDir,
  }
  await writeFile(pidFile, `${JSON.stringify(info)}\n`)
  process.stdout.write(`${broker.brokers}\n`)
  console.error(
    `Kafka ${KAFKA_VERSION} listening on ${broker.brokers} (data ${broker.dataDir}, log ${broker.logFile}); Ctrl-C to stop`
  )

  let stopping = false
  const shutdown = async (code: number) => {
    if (stopping) {
      return
    }
    stopping = true
    await broker.stop()
    await rm(pidFile, { force: true })
    process.exit(code)
  }
  process.on('SIGINT', () => void shutdown(0))
  process.on('SIGTERM', () => void shutdown(0))
  // keep running; if the JVM dies on its own, report it and exit non-zero
  const poll = setInterval(() => {
    if (!stopping && !isAlive(broker.pid)) {
      clearInterval(poll)
      void logTail(broker.logFile, path.join(path.dirname(broker.logFile), 'console.log')).then(
        (logs) => {
          console.error(`Kafka broker exited unexpectedly; log tail:\n${logs}`)
          return shutdown(1)
        }
      )
    }
  }, 1_000)
}

async function cliStop(): Promise<void> {
  const running = await readPidFile()
  if (!running) {
    await rm(pidFile, { force: true })
    console.error('no broker started with `broker.ts start` is running')
    return
  }
  process.kill(running.pid, 'SIGTERM')
  const deadline = Date.now() + 30_000
  while (isAlive(running.pid) && Date.now() < deadline) {
    await sleep(100)
  }
  if (isAlive(running.pid)) {
    throw new Error(`broker launcher (pid ${running.pid}) did not stop within 30 s`)
  }
  console.error(`stopped the broker at ${running.brokers}`)
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  switch (command) {
    case 'fetch': {
      const classpath = await fetchKafkaClasspath((message) => console.error(message))
      console.error(
        `Kafka ${KAFKA_VERSION}: ${classpath.split(path.delimiter).length} jars in ${classpathDir()}`
      )
      return
    }
    case 'start':
      return cliStart(rest)
    case 'stop':
      return cliStop()
    default:
      console.error(
        'usage: node scripts/kafka/broker.ts fetch | start [--port N] [--data-dir DIR] | stop'
      )
      process.exitCode = 2
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
