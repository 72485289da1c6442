// `npm start`: the whole pipeline on this machine. See README.md, "Quick start".
//   npm start -- --source simulate|opensky|replay  --speed N  --aircraft N  --logs
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

import { createLogger } from '../../shared/logger.ts'
import type { LocalPipeline, Source } from './pipeline.ts'
import { SOURCES, startLocalPipeline } from './pipeline.ts'
import { ROOT } from './processes.ts'
import { startStatusLine } from './status-line.ts'

const USAGE = `Usage: npm start -- [options]

  --source simulate|opensky|replay  where states come from (default: OpenSky when reachable,
                                    else simulated traffic)
  --speed N          simulate N times faster (aircraft move faster, time rules shrink)
  --aircraft N       size of the simulated fleet
  --replay PATH      replay these recorded OpenSky responses (a file or a folder); implies
                     --source replay
  --logs             show the functions' log lines instead of the status line
  --help

Environment: PORT (dashboard, default 8080), DATABASE_URL (use this PostgreSQL instead of the
embedded one), KAFKA_BROKERS (go through Kafka), OPENSKY_CLIENT_ID/OPENSKY_CLIENT_SECRET or
OPENSKY_CREDENTIALS_FILE (live OpenSky with an account), OPENSKY_BBOX (lamin,lomin,lamax,lomax;
default Germany, Austria and Switzerland), SKYTRAIL_DATA_DIR (default .data).`

function exitWithUsage(problems: string[]): never {
  console.error(`${problems.join('\n')}\n\n${USAGE}`)
  process.exit(2)
}

function readArgs() {
  try {
    return parseArgs({
      options: {
        source: { type: 'string' },
        speed: { type: 'string', default: '1' },
        aircraft: { type: 'string' },
        replay: { type: 'string' },
        logs: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values
  } catch (err) {
    // An unknown option, or one without its value.
    return exitWithUsage([err instanceof Error ? err.message : String(err)])
  }
}

function parseCommandLine() {
  const values = readArgs()
  if (values.help) {
    console.warn(USAGE)
    process.exit(0)
  }
  const problems: string[] = []
  const source = values.source ?? (values.replay === undefined ? undefined : 'replay')
  if (source !== undefined && !SOURCES.includes(source as Source)) {
    problems.push(`--source must be one of ${SOURCES.join(', ')}, not "${source}"`)
  } else if (values.replay !== undefined && source !== 'replay') {
    problems.push(
      `--replay plays recorded responses, so it goes with --source replay, not "${source}"`
    )
  }
  const speed = Number(values.speed)
  if (!(speed >= 1 && speed <= 1000)) {
    problems.push(`--speed must be a number from 1 to 1000, not "${values.speed}"`)
  }
  const aircraft = values.aircraft === undefined ? undefined : Number(values.aircraft)
  if (
    aircraft !== undefined &&
    !(Number.isInteger(aircraft) && aircraft > 0 && aircraft <= 200_000)
  ) {
    problems.push(`--aircraft must be a whole number from 1 to 200000, not "${values.aircraft}"`)
  }
  const port = Number(process.env.PORT ?? 8080)
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    problems.push(`PORT must be a port number, not "${process.env.PORT}"`)
  }
  if (problems.length > 0) {
    exitWithUsage(problems)
  }
  return {
    source: source as Source | undefined,
    speed,
    aircraft,
    replayPath: values.replay && resolve(values.replay),
    logs: values.logs,
    port,
  }
}

function banner(pipeline: LocalPipeline, speed: number, logDir: string): string {
  const line = (label: string, value: string) => `  ${label.padEnd(10)} ${value}`
  return [
    '',
    '  Skytrail is running',
    '',
    line('Dashboard', pipeline.dashboardUrl),
    line(
      'Database',
      pipeline.database.kind === 'embedded'
        ? `embedded PostgreSQL (PGlite), data in ${pipeline.database.location}`
        : `PostgreSQL at ${pipeline.database.location}`
    ),
    line(
      'Transport',
      pipeline.transport === 'kafka'
        ? `Kafka topic flight_raw_data, delivered like a KafkaSource`
        : 'HTTP, producer straight to processor (set KAFKA_BROKERS for Kafka)'
    ),
    line('Source', `${pipeline.source}${speed > 1 ? ` x${speed}` : ''} (${pipeline.sourceReason})`),
    line('Logs', `JSON lines in ${logDir}/<function>.log (--logs shows them here)`),
    '',
    '  Ctrl-C stops everything; committed data is kept.',
    '',
  ].join('\n')
}

const options = parseCommandLine()
const logger = createLogger('local', options.logs ? 'info' : 'warn')
const dataDir = resolve(process.env.SKYTRAIL_DATA_DIR ?? `${ROOT}/.data`)
console.warn('Starting Skytrail: database, migrations, functions...')
// SIGHUP is a closed terminal: the functions run in process groups of their own and would not
// hear it (see processes.ts).
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
// During start-up a signal ends this process at once; the functions started so far get SIGTERM
// as it exits.
const exitDuringStartUp = (signal: NodeJS.Signals) => {
  console.warn(`\n${signal} during start-up: exiting`)
  process.exit(130)
}
for (const signal of SIGNALS) {
  process.once(signal, exitDuringStartUp)
}
let pipeline: LocalPipeline
try {
  pipeline = await startLocalPipeline({
    dataDir,
    databaseUrl: process.env.DATABASE_URL || undefined,
    kafkaBrokers: process.env.KAFKA_BROKERS?.split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    source: options.source,
    speed: options.speed,
    aircraft: options.aircraft,
    replayPath: options.replayPath,
    dashboardPort: options.port,
    echoLogs: options.logs ? process.stdout : undefined,
    logger,
  })
} catch (err) {
  console.error(`Skytrail could not start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
let stopping = false
const stop = async (signal: string, exitCode = 0) => {
  if (stopping) {
    return
  }
  stopping = true
  status?.stop()
  console.warn(`\n${signal}: stopping (the producer first, then the rest after their last work)...`)
  await pipeline.stop()
  console.warn('Stopped. Data is kept; `npm start` continues where it left off.')
  process.exit(exitCode)
}
for (const signal of SIGNALS) {
  process.off(signal, exitDuringStartUp)
  process.on(signal, () => void stop(signal))
}
console.warn(banner(pipeline, options.speed, pipeline.logDir))
const status = options.logs ? undefined : startStatusLine(pipeline, process.stdout)
for (const fn of Object.values(pipeline.functions)) {
  void fn.exited.then((code) => {
    if (!stopping) {
      console.error(
        `\n${fn.name} exited unexpectedly (code ${code}); see ${pipeline.logDir}/${fn.name}.log`
      )
      void stop('error', 1)
    }
  })
}
