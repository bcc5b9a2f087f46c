/**
 * Upgrade (WebSocket) requests of HTTP mode: raw sockets spliced as in TCP mode, whatever upstream the backend's
 * plain requests use.
 *
 * @since 0.1.0
 */
import type { IncomingMessage } from "node:http"
import { connect, type Socket } from "node:net"
import type { BackendState, Pool } from "../internal/Pool.js"
import { ignore, SocketFlow, splice } from "../internal/SocketFlow.js"
import { addForwarded, isForwarded } from "./headers.js"

/** The request head sent to the backend for an upgrade (WebSocket): the client's, plus X-Forwarded-*. */
const upgradeHead = (req: IncomingMessage): string => {
  const raw = req.rawHeaders
  const headers: Array<string> = []
  for (let i = 0; i < raw.length; i += 2) if (!isForwarded(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!)
  addForwarded(req, headers)
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`
  return `${head}\r\n`
}

/**
 * An `Upgrade` request (WebSocket): the backend connection carries the request head, then both sockets are
 * piped as in TCP mode. A refused connection is retried on another backend, as in TCP mode.
 *
 * @since 0.1.0
 * @category constructors
 */
export const upgrade = (
  pool: Pool,
  req: IncomingMessage,
  client: Socket,
  head: Buffer,
  tried: Array<BackendState>
): void => {
  client.on("error", ignore)
  const b = pool.pick(tried)
  if (b === undefined) {
    pool.turnAway()
    client.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    return
  }
  const flow = new SocketFlow(client, pool, b)
  pool.open(b, flow)
  const upstream = connect({ host: b.backend.host, port: b.backend.port, allowHalfOpen: true, noDelay: true })
  flow.attach(upstream)
  upstream.on("error", ignore)
  const failed = () => {
    pool.close(b, flow, !client.destroyed)
    if (client.destroyed) return
    pool.markDown(b)
    tried.push(b)
    pool.retried++
    upgrade(pool, req, client, head, tried)
  }
  upstream.once("close", failed)
  upstream.once("connect", () => {
    upstream.off("close", failed)
    upstream.write(upgradeHead(req))
    if (head.length > 0) upstream.write(head)
    splice(flow)
  })
}
