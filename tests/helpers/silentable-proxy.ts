import net from 'node:net'

/**
 * A TCP proxy to the test database that can go silent: it keeps every socket open but forwards
 * nothing, as a frozen host or a network partition without a reset does.
 */
export function silentableProxy(target: URL) {
  let silent = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from)
      from.on('data', (chunk) => silent || to.write(chunk))
      from.on('error', () => {})
      from.on('close', () => to.destroy())
    }
  })
  return {
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const url = new URL(target)
      url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`
      return url.toString()
    },
    set silent(value: boolean) {
      silent = value
    },
    async close() {
      sockets.forEach((socket) => socket.destroy())
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
