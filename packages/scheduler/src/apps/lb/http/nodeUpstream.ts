/**
 * The node:http upstream: a request over the backend's keep-alive `http.Agent`. HTTP mode uses it for
 * backends that close their connections after each answer: with a new connection per request undici cost more
 * (a prototype measured ~200 µs of the load balancer's CPU per busybox request against ~160 µs here).
 *
 * @since 0.1.0
 */
import { type ClientRequest, request } from "node:http"
import type { Socket } from "node:net"
import { Exchange, type Send } from "./exchange.js"
import { endToEnd } from "./headers.js"

class NodeExchange extends Exchange {
  upstream: ClientRequest | undefined = undefined
  destroy(): void {
    this.upstream?.destroy()
  }
}

/**
 * Sends the request to `b` over node:http; the answer (or failure) goes to the exchange.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sendNode: Send = (route, req, res, headers, body, b, tried) => {
  const flow = new NodeExchange(route, req, res, headers, body, b, tried)
  const chunked = req.headers["transfer-encoding"] !== undefined
  const up = request({
    host: b.backend.host,
    port: b.backend.port,
    method: req.method,
    path: req.url,
    // node:http frames a GET/DELETE/OPTIONS body only when told to
    headers: chunked ? [...headers, "transfer-encoding", "chunked"] : (headers as Array<string>),
    agent: b.httpAgent(route.maxSocketsPerBackend, route.requestTimeoutMs)
  })
  flow.upstream = up
  // the agent's socket timeout (see BackendState.httpAgent) is the request timeout: no per-request timer
  up.once("timeout", () => {
    flow.timedOut = true
    up.destroy()
  })
  if (body) {
    const declared = req.headers["content-length"]
    const send = () => {
      flow.bodySent = true
      if (declared === undefined)
        req.on("data", (chunk: Buffer) => {
          flow.bytesIn += chunk.length
        })
      else flow.bytesIn = Number(declared)
      req.pipe(up)
    }
    up.once("socket", (socket: Socket) => (socket.connecting ? socket.once("connect", send) : send()))
  } else {
    flow.bodySent = true
    up.end()
  }
  up.on("response", (answer) => {
    const declared = answer.headers["content-length"]
    flow.respond(
      answer.statusCode ?? 502,
      answer.statusMessage,
      endToEnd(answer.rawHeaders, answer.headers.connection, []),
      answer.httpVersion,
      answer.headers.connection,
      declared
    )
    const counted = declared === undefined
    // what `pipe` does, with three listeners instead of its eight (this runs for every request)
    answer.on("data", (chunk: Buffer) => {
      if (counted) flow.bytesOut += chunk.length
      if (!res.write(chunk)) answer.pause()
    })
    res.on("drain", () => answer.resume())
    answer.once("end", () => flow.finish())
    answer.once("close", () => {
      if (!answer.complete) flow.cut()
    })
  })
  up.on("error", (error: NodeJS.ErrnoException) => flow.failed(error.code, error.message))
  res.once("close", () => flow.clientGone())
}
