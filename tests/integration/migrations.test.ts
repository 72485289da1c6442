import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'

import { findMigrationsDir, migrate } from '../../shared/db/migrate.ts'
import { silentLogger } from '../../shared/logger.ts'
import {
  adminQuery,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
} from '../helpers/postgres-admin.ts'

const created: string[] = []

async function emptyDatabase(): Promise<string> {
  const name = uniqueDatabaseName('skytrail_migrate')
  await adminQuery(`CREATE DATABASE "${name}"`)
  created.push(name)
  return databaseUrl(name)
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text)).rows
  } finally {
    await client.end()
  }
}

/** Everything a migration can change that the application relies on, as comparable text. */
async function describeSchema(url: string): Promise<string[]> {
  const rows = await query<{ line: string }>(
    url,
    `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS line
       FROM information_schema.columns WHERE table_schema = 'public'
     UNION ALL
     SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid)
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     UNION ALL
     SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
     ORDER BY 1`
  )
  return rows.map((row) => row.line)
}

afterEach(async () => {
  await Promise.all(created.splice(0).map(dropDatabase))
})

describe('migrations', () => {
  it('creates the flight tables with their keys and indexes', async () => {
    const url = await emptyDatabase()
    const applied = await migrate({ databaseUrl: url, logger: silentLogger })
    expect(applied).toEqual([
      '000001_create_flight_tables',
      '000002_create_sweeper_tables',
      '000003_create_alert_outbox',
      '000004_add_alert_measured_at',
      '000005_add_alert_event_refused_at',
      '000006_upper_case_callsigns',
      '000007_hot_live_flight_updates',
    ])

    const tables = await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`
    )
    expect(tables.map((t) => t.table_name)).toEqual([
      'flight_histories',
      'live_flights',
      'pipeline_alert_events',
      'pipeline_alerts',
      'pipeline_status',
      'processed_events',
      'schema_migrations',
      'sweeper_runs',
    ])
    const schema = await describeSchema(url)
    expect(schema).toContain('column live_flights.last_contact timestamp with time zone NO')
    expect(schema).toContain('column live_flights.velocity_kmh double precision YES')
    expect(schema).toContain('column flight_histories.route_data jsonb NO')
    expect(schema).toContain('column flight_histories.end_time timestamp with time zone YES')
    expect(schema).toContain('constraint live_flights PRIMARY KEY (icao24)')
    expect(schema).toContain('constraint flight_histories PRIMARY KEY (flight_uuid)')
    expect(schema).toContain(
      'constraint live_flights FOREIGN KEY (flight_uuid) REFERENCES flight_histories(flight_uuid)'
    )
    const indexes = schema.filter((line) => line.startsWith('index '))
    // Only the keys index live_flights, so the processor's updates can be HOT.
    expect(indexes.filter((line) => line.includes(' ON public.live_flights '))).toEqual([
      expect.stringMatching(/live_flights_flight_uuid_key .*\(flight_uuid\)/),
      expect.stringMatching(/live_flights_pkey .*\(icao24\)/),
    ])
    expect(indexes.join('\n')).toMatch(
      /flight_histories_icao24_start_time_idx .*\(icao24, start_time DESC\)/
    )
    expect(indexes.join('\n')).toMatch(/flight_histories_open_idx .*WHERE \(end_time IS NULL\)/)
    expect(indexes.join('\n')).toMatch(
      /flight_histories_callsign_idx .*\(callsign text_pattern_ops/
    )
  })

  it('is a no-op when run again', async () => {
    const url = await emptyDatabase()
    await migrate({ databaseUrl: url, logger: silentLogger })
    const before = await describeSchema(url)

    expect(await migrate({ databaseUrl: url, logger: silentLogger })).toEqual([])
    expect(await migrate({ databaseUrl: url, logger: silentLogger })).toEqual([])
    expect(await describeSchema(url)).toEqual(before)
    const recorded = await query<{ count: number }>(
      url,
      'SELECT count(*)::int AS count FROM schema_migrations'
    )
    expect(recorded[0]?.count).toBe(7)
  })

  it('applies each migration once when several runs start at the same time', async () => {
    const url = await emptyDatabase()
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => migrate({ databaseUrl: url, logger: silentLogger }))
    )
    expect(runs.flat().sort()).toEqual([
      '000001_create_flight_tables',
      '000002_create_sweeper_tables',
      '000003_create_alert_outbox',
      '000004_add_alert_measured_at',
      '000005_add_alert_event_refused_at',
      '000006_upper_case_callsigns',
      '000007_hot_live_flight_updates',
    ])
    const recorded = await query<{ name: string }>(url, 'SELECT name FROM schema_migrations')
    expect(recorded).toHaveLength(7)
  })

  it('upper-cases the callsigns stored before the processor did', async () => {
    const url = await emptyDatabase()
    const dir = await mkdtemp(join(tmpdir(), 'skytrail-migrations-'))
    try {
      await cp(findMigrationsDir(), dir, {
        recursive: true,
        // the migrations before 000006 (file names sort in the order they apply)
        filter: (source) => !source.endsWith('.sql') || basename(source) < '000006',
      })
      await migrate({ databaseUrl: url, logger: silentLogger, dir })
      await query(
        url,
        `INSERT INTO flight_histories (flight_uuid, icao24, callsign, start_time) VALUES
           ('00000000-0000-4000-8000-000000000001', 'abcdef', 'n123ab', now()),
           ('00000000-0000-4000-8000-000000000002', 'abcdef', NULL, now());
         INSERT INTO live_flights (icao24, flight_uuid, callsign, lat, lon, on_ground, last_contact, last_waypoint_at)
         VALUES ('abcdef', '00000000-0000-4000-8000-000000000001', 'n123ab', 1, 2, false, now(), now())`
      )
      expect(await migrate({ databaseUrl: url, logger: silentLogger })).toEqual([
        '000006_upper_case_callsigns',
        '000007_hot_live_flight_updates',
      ])
      const callsigns = await query<{ callsign: string | null }>(
        url,
        `SELECT callsign FROM flight_histories UNION ALL SELECT callsign FROM live_flights ORDER BY 1`
      )
      expect(callsigns.map((row) => row.callsign)).toEqual(['N123AB', 'N123AB', null])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('leaves nothing half applied when a migration fails', async () => {
    const url = await emptyDatabase()
    const dir = await mkdtemp(join(tmpdir(), 'skytrail-migrations-'))
    try {
      await cp(findMigrationsDir(), dir, { recursive: true })
      await writeFile(
        join(dir, '000099_broken.sql'),
        'CREATE TABLE half_applied (id int);\nSELECT no_such_function();\n'
      )
      await expect(migrate({ databaseUrl: url, logger: silentLogger, dir })).rejects.toThrow(
        /no_such_function/
      )
      const tables = await query<{ table_name: string }>(
        url,
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`
      )
      expect(tables.map((t) => t.table_name)).not.toContain('half_applied')
      expect(tables.map((t) => t.table_name)).not.toContain('live_flights')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
