// Response bodies of the dashboard's JSON API, shared by the server (functions/dashboard/api.ts)
// and the browser client (functions/dashboard/client/). Times are ISO 8601 strings in UTC.
import type { LiveAircraftRow } from '../../shared/db/live-aircraft.ts'

/** `GET /api/live`: current aircraft as parallel column arrays (index i is one aircraft). */
export interface LiveResponse {
  /**
   * Server time when this data was read. Not covered by the ETag: after a 304 the client still
   * holds the time of its last full answer.
   */
  time: string
  /** Newest last contact among the aircraft, null when there are none. */
  newestContact: string | null
  count: number
  columns: {
    icao24: string[]
    callsign: (string | null)[]
    originCountry: (string | null)[]
    lat: number[]
    lon: number[]
    /** Barometric altitude, metres. */
    altitude: (number | null)[]
    velocityKmh: (number | null)[]
    /** True track, degrees clockwise from north. */
    heading: (number | null)[]
    /** 1 on the ground, 0 airborne. */
    onGround: (0 | 1)[]
    squawk: (string | null)[]
  }
}

/** One live aircraft with every stored field (the row, with times as ISO strings). */
export type AircraftDetail = Omit<
  LiveAircraftRow,
  'timePosition' | 'lastContact' | 'lastWaypointAt' | 'updatedAt'
> & {
  timePosition: string | null
  lastContact: string
}

/** `GET /api/aircraft/:icao24` (404 when the aircraft is not live). */
export interface AircraftResponse {
  aircraft: AircraftDetail
}

export interface FlightListItem {
  flightUuid: string
  icao24: string
  callsign: string | null
  originCountry: string | null
  startTime: string
  /** Null while the flight is open. */
  endTime: string | null
  waypointCount: number
}

/** `GET /api/flights`: newest start first; pass `nextCursor` as `cursor` for the next page. */
export interface FlightsResponse {
  flights: FlightListItem[]
  nextCursor: string | null
}

/** [lat, lon, unix_seconds] */
export type TrackPoint = [number, number, number]

/** `GET /api/flights/:uuid` (404 when unknown). */
export interface FlightResponse {
  flight: FlightListItem & {
    /** Sampled waypoints in time order. */
    route: TrackPoint[]
    /** The aircraft's live state while this is its current flight. */
    live: AircraftDetail | null
  }
}

export interface KafkaLagPartition {
  partition: number
  lag: number
}

/** The sweeper's last lag measurement (its report's `lag`). */
export type KafkaLag =
  | { enabled: false }
  | {
      enabled: true
      available: true
      groupId: string | null
      topic: string | null
      total: number
      /** The sweeper's alert threshold for the total, when it reported one. */
      threshold: number | null
      partitions: KafkaLagPartition[]
    }
  | { enabled: true; available: false; groupId: string | null; topic: string | null; error: string }

export interface AlertView {
  name: string
  value: number | null
  threshold: number | null
  details: unknown
  raisedAt: string | null
}

/** `GET /api/status` */
export interface StatusResponse {
  time: string
  freshness: {
    /** Newest processor commit, and the OpenSky data time it carried. */
    lastWriteAt: string | null
    lastDataTime: string | null
    /** Seconds since lastWriteAt on the database's clock; null before the first write. */
    ageSeconds: number | null
    stale: boolean
    staleAfterSeconds: number
    streams: number
  }
  aircraftLive: number
  flightsOpen: number
  /** Flights that ended on the current UTC day. */
  flightsEndedToday: number
  lastSweep: {
    startedAt: string
    finishedAt: string
    flightsEnded: number
    ageSeconds: number
  } | null
  /** From the newest sweep's report; null when no sweep reported lag yet. */
  kafkaLag: KafkaLag | null
  alerts: AlertView[]
}

/** Body of every error response. */
export interface ErrorResponse {
  error: string
  details?: unknown
}
