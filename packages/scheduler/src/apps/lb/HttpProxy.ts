/**
 * The HTTP mode of a service port: every request is balanced on its own and sent over a keep-alive pool to
 * the chosen backend: an undici `Pool` for a backend that keeps connections alive, an `http.Agent` for one
 * that closes them (learnt from every answer, see `http/forward.ts`). Bodies stream both ways with backpressure; hop-by-hop
 * headers are dropped and `X-Forwarded-For/Proto/Host` added. A request that fails to reach its backend is
 * retried once on another backend when that is safe (GET/HEAD/OPTIONS, or its body was not sent yet: a body
 * is only read from the client once the backend connection is up). No backend: 502 with a JSON body; no
 * answer within `requestTimeoutMs`: 504.
 *
 * @since 0.1.0
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { Socket } from "node:net"
import { HttpRoute } from "./http/forward.js"
import { hasBody, upstreamHeaders } from "./http/headers.js"
import { upgrade } from "./http/upgrade.js"
import type { Pool } from "./internal/Pool.js"

export { replyError } from "./http/reply.js"

/**
 * Options of the HTTP listener.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpProxyOptions {
  /** Longest silence from a backend (before or while it answers); then 504 or the answer is cut. */
  readonly requestTimeoutMs: number
  /** Keep-alive sockets per backend. */
  readonly maxSocketsPerBackend: number
}

/**
 * An HTTP listener (not yet listening) that balances every request through `pool`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpServer = (pool: Pool, options: HttpProxyOptions): Server => {
  const route = new HttpRoute(pool, options.requestTimeoutMs, options.maxSocketsPerBackend)
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    route.forward(req, res, upstreamHeaders(req), hasBody(req), undefined)
  })
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => upgrade(pool, req, socket, head, []))
  return server
}
