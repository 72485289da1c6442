// Embedded PostgreSQL for `npm start`: PGlite (PostgreSQL compiled to WebAssembly, in this
// process) served over the PostgreSQL wire protocol on loopback, so the functions run their
// ordinary `pg` code against it.
//
// PGlite is one backend. Several client connections are made safe here by running one
// *exchange* at a time: a simple Query, or an extended-protocol run up to its Sync, is passed to
// PGlite whole, and while a client is inside a transaction nobody else gets a turn. The stock
// pglite-socket server passes single messages and lets other clients' Parse/Bind/Execute slip in
// between (electric-sql/pglite#1046), which clobbers the unnamed statement. Named prepared
// statements and portals are renamed per connection, because on one backend they would otherwise
// be shared (and collide) between clients that each expect a session of their own. Other session
// state is shared: settings made with SET, and startup options such as the dashboard's
// default_transaction_read_only, which PGlite ignores. Good enough for one local user; the
// cluster's PostgreSQL gives each function its own session and the dashboard a read-only role.
import type { Socket } from 'node:net'
import { createServer } from 'node:net'

import { PGlite } from '@electric-sql/pglite'

import { lockDataDir } from './data-lock.ts'

const SSL_REQUEST_CODE = 80877103
const GSSENC_REQUEST_CODE = 80877104
const CANCEL_REQUEST_CODE = 80877102
/** Frontend message types that end an exchange: the backend answers with ReadyForQuery. */
const QUERY = 0x51 // 'Q'
const SYNC = 0x53 // 'S'
const TERMINATE = 0x58 // 'X'
const PARSE = 0x50 // 'P'
const BIND = 0x42 // 'B'
const DESCRIBE = 0x44 // 'D'
const CLOSE = 0x43 // 'C'
const EXECUTE = 0x45 // 'E'

export interface EmbeddedPostgres {
  /** postgres:// URL for node-postgres. */
  url: string
  stop(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** Folder for the database files; kept between runs so a restart keeps the data. */
  dataDir: string
  /** Loopback port; 0 picks a free one. */
  port?: number
}

/** A one-at-a-time gate: exchanges from all connections run in arrival order. */
class Turnstile {
  private tail: Promise<void> = Promise.resolve()

  /** Resolves when it is the caller's turn; call the returned function to pass the turn on. */
  async enter(): Promise<() => void> {
    let leave!: () => void
    const previous = this.tail
    this.tail = new Promise((resolve) => (leave = resolve))
    await previous
    return leave
  }
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions
): Promise<EmbeddedPostgres> {
  const unlock = lockDataDir(options.dataDir)
  let db: PGlite
  try {
    db = await PGlite.create({ dataDir: options.dataDir })
  } catch (err) {
    unlock()
    throw err
  }
  const turnstile = new Turnstile()
  const sockets = new Set<Socket>()

  const server = createServer((socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    serveConnection(db, turnstile, socket).catch(() => socket.destroy())
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as { port: number }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      for (const socket of sockets) {
        socket.destroy()
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
      // Lets queued exchanges finish before the files are closed.
      const leave = await turnstile.enter()
      await db.close()
      leave()
      unlock()
    },
  }
}

let connections = 0

/**
 * Gives a connection's named statements and portals a prefix of their own. Parse and Bind carry
 * names as their first strings, Execute its portal, Describe and Close a kind byte then a name.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
function renameForConnection(message: Buffer, prefix: string): Buffer {
  const type = message[0]
  let names: number
  let at = 5
  if (type === PARSE || type === EXECUTE) {
    names = 1
  } else if (type === BIND) {
    names = 2 // portal, statement
  } else if (type === DESCRIBE || type === CLOSE) {
    names = 1
    at = 6
  } else {
    return message
  }
  const parts: Buffer[] = [message.subarray(0, at)]
  for (let i = 0; i < names; i++) {
    const end = message.indexOf(0, at)
    const name = message.subarray(at, end)
    parts.push(name.length > 0 ? Buffer.concat([Buffer.from(prefix), name]) : name)
    parts.push(message.subarray(end, end + 1))
    at = end + 1
  }
  parts.push(message.subarray(at))
  const renamed = Buffer.concat(parts)
  renamed.writeInt32BE(renamed.length - 1, 1)
  return renamed
}

/** Reads one connection's messages and runs them exchange by exchange. */
async function serveConnection(db: PGlite, turnstile: Turnstile, socket: Socket) {
  const prefix = `c${++connections}_`
  const prepared = new Set<string>()
  let buffer = Buffer.alloc(0)
  let started = false
  let pending: Buffer[] = []
  /** Set while this connection holds the backend (inside an exchange or a transaction). */
  let leave: (() => void) | undefined
  let queue = Promise.resolve()

  const run = async (messages: Buffer[], endsExchange: boolean) => {
    if (socket.destroyed) {
      return
    }
    leave ??= await turnstile.enter()
    for (const message of messages) {
      await db.execProtocolRawStream(new Uint8Array(message), {
        onRawData: (data) => {
          if (!socket.destroyed) {
            socket.write(data)
          }
        },
      })
    }
    if (endsExchange && !db.isInTransaction()) {
      leave()
      leave = undefined
    }
  }

  const schedule = (messages: Buffer[]) => {
    queue = queue
      .then(() => run(messages, true))
      .catch(() => {
        // PGlite answers SQL errors in the protocol; a throw here means the backend itself failed.
        socket.destroy()
      })
  }

  const release = async () => {
    leave ??= await turnstile.enter()
    // The client went away: undo an open transaction and forget its statements, so the next
    // client starts clean. Failures are left unreported on purpose: nobody is there to answer,
    // a DEALLOCATE fails for a statement whose Parse failed (it never existed), and a backend
    // that cannot roll back fails the next exchange of every other connection, which reports it.
    if (db.isInTransaction()) {
      await db.exec('ROLLBACK').catch(() => {})
    }
    for (const name of prepared) {
      await db.exec(`DEALLOCATE "${name}"`).catch(() => {})
    }
    leave()
    leave = undefined
  }

  socket.on('close', () => {
    queue = queue.then(release, release)
  })

  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk])
    for (;;) {
      if (!started) {
        if (buffer.length < 8) {
          return
        }
        const length = buffer.readInt32BE(0)
        const code = buffer.readInt32BE(4)
        if (buffer.length < length) {
          return
        }
        const packet = buffer.subarray(0, length)
        buffer = buffer.subarray(length)
        if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
          socket.write('N')
          continue
        }
        if (code === CANCEL_REQUEST_CODE) {
          socket.end()
          return
        }
        started = true
        schedule([packet])
        continue
      }
      if (buffer.length < 5) {
        return
      }
      const length = 1 + buffer.readInt32BE(1)
      if (buffer.length < length) {
        return
      }
      const message = buffer.subarray(0, length)
      buffer = buffer.subarray(length)
      const type = message[0]
      if (type === TERMINATE) {
        socket.end()
        return
      }
      if (type === PARSE) {
        const name = message.subarray(5, message.indexOf(0, 5)).toString()
        if (name) {
          prepared.add(`${prefix}${name}`)
        }
      }
      pending.push(renameForConnection(message, prefix))
      if (type === QUERY || type === SYNC) {
        const exchange = pending
        pending = []
        schedule(exchange)
      }
    }
  })
  await new Promise((resolve) => socket.once('close', resolve))
  await queue
}
