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
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
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
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

import { Kafka, logLevel, Partitioners } from 'kafkajs'

import { freePort } from '../free-port.ts'
import { isRunning } from '../is-running.ts'

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
  if (!persistent) {
    await reapOrphans()
  }
  const dataDir = persistent
    ? path.resolve(options.dataDir ?? '')
    : await mkdtemp(path.join(tmpdir(), TEMP_DIR_PREFIX))
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

      await formatStorage({ java, jvm, logDirs, port, controllerPort })

      const out = openSync(consoleFile, 'a')
      let child: ChildProcess
      try {
        child = spawn(java, [...jvm, 'kafka.Kafka', propertiesFile], {
          stdio: ['ignore', out, out],
        })
      } finally {
        closeSync(out)
      }
      if (!persistent && child.pid !== undefined) {
        const owner: OwnerFile = { ownerPid: process.pid, javaPid: child.pid }
        await writeFile(path.join(dataDir, OWNER_FILE), JSON.stringify(owner))
      }
      const broker = trackBroker(child, { dataDir, logFile, port, removeDataDir })
      try {
        const deadline = Date.now() + (options.startTimeoutMs ?? 90_000)
        await waitUntilReady(broker, deadline)
        await warmUp(broker, deadline)
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

/**
 * KRaft needs formatted storage (meta.properties with the cluster id, bootstrap.checkpoint with the
 * feature levels). `kafka-storage format` costs a JVM start (~1.5 s), so it runs once into a
 * template next to the cached jars and each new data dir gets a copy: every test broker then has
 * the same cluster id, which no client cares about. The template depends only on node.id and the
 * Kafka release (the jars' dir is keyed by the pom), not on paths or ports (static quorum).
 */
async function formatStorage(options: {
  java: string
  jvm: string[]
  logDirs: string
  port: number
  controllerPort: number
}): Promise<void> {
  const { java, jvm, logDirs, port, controllerPort } = options
  if (existsSync(path.join(logDirs, 'meta.properties'))) {
    return
  }
  const template = path.join(classpathDir(), 'formatted-storage')
  if (!existsSync(path.join(template, 'meta.properties'))) {
    const staging = await mkdtemp(path.join(classpathDir(), 'formatting-'))
    try {
      const storage = path.join(staging, 'storage')
      const properties = path.join(staging, 'server.properties')
      await writeFile(properties, serverProperties(storage, port, controllerPort))
      const clusterId = newClusterId()
      const format = await run(
        java,
        [
          ...jvm,
          'kafka.tools.StorageTool',
          'format',
          '--config',
          properties,
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
      try {
        await rename(storage, template)
      } catch (error) {
        // another process made the template first
        if (!existsSync(path.join(template, 'meta.properties'))) {
          throw error
        }
      }
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
  }
  await cp(template, logDirs, { recursive: true })
}

const TEMP_DIR_PREFIX = 'skytrail-kafka-'
const OWNER_FILE = 'owner.json'

interface OwnerFile {
  ownerPid: number
  javaPid: number
}

/**
 * A test run that is SIGKILLed cannot stop its broker. Temp data dirs record which Node process
 * owns them and the JVM's pid: when the owner is gone, stop that JVM (if its command line still
 * names the dir, so a reused pid is left alone) and remove the dir.
 */
async function reapOrphans(): Promise<void> {
  const root = tmpdir()
  const names = await readdir(root).catch(() => [])
  for (const name of names.filter((entry) => entry.startsWith(TEMP_DIR_PREFIX))) {
    const dir = path.join(root, name)
    let owner: OwnerFile
    try {
      owner = JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8')) as OwnerFile
    } catch {
      continue // not ours, or still starting
    }
    if (isRunning(owner.ownerPid)) {
      continue
    }
    if (isRunning(owner.javaPid) && commandLine(owner.javaPid).includes(dir)) {
      try {
        process.kill(owner.javaPid, 'SIGKILL')
      } catch {
        // exited meanwhile
      }
    }
    await rm(dir, { recursive: true, force: true })
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' })
    return ps.stdout ?? ''
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
async function waitUntilReady(broker: TrackedBroker, deadline: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'skytrail-kafka-readiness',
    brokers: [broker.handle.brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  })
  let lastError = 'no attempt yet'
  while (Date.now() < deadline) {
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
      lastError = errorMessage(error)
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
    await Promise.race([broker.exited, sleep(250)])
  }
  throw new Error(
    `Kafka broker at ${broker.handle.brokers} did not answer in time (last error: ${lastError}); log tail:\n${await logTail(broker.logFile, broker.consoleFile)}`
  )
}

/**
 * Creates the internal topics (__consumer_offsets) and a producer-id block up front, so that the
 * first consumer group and idempotent producer of a test do not run into "coordinator not
 * available / loading" retries (which kafkajs logs as errors).
 */
async function warmUp(broker: TrackedBroker, deadline: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'skytrail-kafka-warmup',
    brokers: [broker.handle.brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
  })
  const admin = kafka.admin()
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  const work = (async () => {
    try {
      await admin.connect()
      await admin.describeGroups(['skytrail-kafka-warmup'])
      await producer.connect()
    } finally {
      await producer.disconnect().catch(() => undefined)
      await admin.disconnect().catch(() => undefined)
    }
  })()
  work.catch(() => undefined) // a late rejection after the timeout is not unhandled
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), Math.max(deadline - Date.now(), 1_000))
  })
  try {
    await Promise.race([work, timeout])
  } catch (error) {
    throw new Error(
      `Kafka broker at ${broker.handle.brokers} answers, but its group/producer-id coordinators did not become available (${errorMessage(error)}); log tail:\n${await logTail(broker.logFile, broker.consoleFile)}`,
      { cause: error }
    )
  } finally {
    clearTimeout(timer)
  }
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

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
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

async function readPidFile(): Promise<PidFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(pidFile, 'utf8')) as PidFile
    return isRunning(parsed.pid) ? parsed : undefined
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
    if (!stopping && !isRunning(broker.pid)) {
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
  while (isRunning(running.pid) && Date.now() < deadline) {
    await sleep(100)
  }
  if (isRunning(running.pid)) {
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

/**
 * A cluster id as `kafka-storage random-uuid` makes one: 16 random bytes in base64url, never
 * starting with '-', which the tool's argument parser would take for an option (1 in 64 ids).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) {
      return id
    }
  }
}
