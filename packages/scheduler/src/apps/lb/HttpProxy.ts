/**
 * The HTTP mode of a service port: every request is balanced on its own and sent over a keep-alive pool to
 * the chosen backend (one `http.Agent` per backend). Bodies stream both ways with backpressure; hop-by-hop
 * headers are dropped and `X-Forwarded-For/Proto/Host` added. A request that fails to reach its backend is
 * retried once on another backend when that is safe (GET/HEAD/OPTIONS, or its body was not sent yet: a body
 * is only read from the client once the backend connection is up). No backend: 502 with a JSON body; no
 * answer within `requestTimeoutMs`: 504.
 *
 * @since 0.1.0
 */
import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse
} from "node:http"
import { connect, type Socket } from "node:net"
import type { BackendState, Flow, Pool } from "./internal/Pool.js"
import { ignore, SocketFlow, splice } from "./internal/SocketFlow.js"

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

const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect"
])

const idempotent = new Set(["GET", "HEAD", "OPTIONS"])

/** Errors that show the backend is not there (as opposed to a dropped keep-alive socket). */
const unreachable = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"])

const connectionTokens = (value: string | undefined): ReadonlyArray<string> | undefined =>
  value === undefined
    ? undefined
    : value
        .toLowerCase()
        .split(",")
        .map((t) => t.trim())

/**
 * Copies the end-to-end headers of `raw` (a `rawHeaders` list: name, value, name, value...) onto `out`,
 * dropping hop-by-hop ones, those the `Connection` header lists, and those named in `skip`. Flat lists keep
 * repeated headers as they came and spare node:http an object to build and walk on each side.
 */
const endToEnd = (
  raw: ReadonlyArray<string>,
  connection: string | undefined,
  out: Array<string>,
  skip?: (lower: string) => boolean
): Array<string> => {
  const listed = connectionTokens(connection)
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase()
    if (hopByHop.has(lower) || listed?.includes(lower) === true || skip?.(lower) === true) continue
    out.push(raw[i]!, raw[i + 1]!)
  }
  return out
}

const isForwarded = (lower: string): boolean =>
  lower === "x-forwarded-for" || lower === "x-forwarded-proto" || lower === "x-forwarded-host"

/** Appends `X-Forwarded-For` (the client's address added to any it sent) and `-Proto`/`-Host` unless sent. */
const addForwarded = (req: IncomingMessage, out: Array<string>): Array<string> => {
  const source = req.headers
  const remote = req.socket.remoteAddress ?? "unknown"
  const prior = source["x-forwarded-for"]
  out.push("x-forwarded-for", prior === undefined ? remote : `${prior}, ${remote}`)
  const proto = source["x-forwarded-proto"]
  // node:http joins repeated x-forwarded-* lines with ", ", so these are strings
  out.push("x-forwarded-proto", proto === undefined ? "http" : String(proto))
  const host = source["x-forwarded-host"] ?? source.host
  if (host !== undefined) out.push("x-forwarded-host", String(host))
  return out
}

/** The request headers sent to the backend (a flat name, value list). */
const upstreamHeaders = (req: IncomingMessage): Array<string> => {
  const out = endToEnd(req.rawHeaders, req.headers.connection, [], isForwarded)
  if (req.headers["transfer-encoding"] !== undefined) out.push("transfer-encoding", "chunked")
  return addForwarded(req, out)
}

/** The response headers sent to the client (a flat name, value list). */
const downstreamHeaders = (res: IncomingMessage): Array<string> => endToEnd(res.rawHeaders, res.headers.connection, [])

const hasBody = (req: IncomingMessage): boolean =>
  req.headers["transfer-encoding"] !== undefined ||
  (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0")

/**
 * Answers with a JSON error body (or cuts the response when headers already went out).
 *
 * @since 0.1.0
 * @category internal
 */
export const replyError = (res: ServerResponse, status: number, body: Record<string, unknown>): void => {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

class HttpFlow implements Flow {
  bytesIn = 0
  bytesOut = 0
  upstream: ClientRequest | undefined = undefined
  destroy(): void {
    this.upstream?.destroy()
  }
}

const forward = (
  pool: Pool,
  options: HttpProxyOptions,
  req: IncomingMessage,
  res: ServerResponse,
  headers: ReadonlyArray<string>,
  body: boolean,
  tried: BackendState | undefined
): void => {
  const b = pool.pick(tried)
  const service = { service: pool.spec.name, servicePort: pool.spec.servicePort }
  if (b === undefined) {
    pool.turnAway()
    const error =
      tried === undefined
        ? `no backend available for ${pool.spec.name} (service port ${pool.spec.servicePort})`
        : `backend ${tried.id} failed and no other backend is available for ${pool.spec.name}`
    replyError(res, 502, { error, ...service })
    return
  }
  const flow = new HttpFlow()
  pool.open(b, flow)
  let settled = false
  let bodySent = false
  let timedOut = false
  let responded = false
  const settle = (failed: boolean): void => {
    if (settled) return
    settled = true
    pool.close(b, flow, failed)
  }
  const up = request({
    host: b.backend.host,
    port: b.backend.port,
    method: req.method,
    path: req.url,
    headers,
    agent: b.httpAgent(options.maxSocketsPerBackend, options.requestTimeoutMs)
  })
  flow.upstream = up
  // the agent's socket timeout (see BackendState.httpAgent) is the request timeout: no per-request timer
  up.once("timeout", () => {
    timedOut = true
    up.destroy()
  })
  if (body) {
    const declared = req.headers["content-length"]
    const length = declared === undefined ? undefined : Number(declared)
    const send = () => {
      bodySent = true
      if (length === undefined)
        req.on("data", (chunk: Buffer) => {
          flow.bytesIn += chunk.length
        })
      else flow.bytesIn = length
      req.pipe(up)
    }
    up.once("socket", (socket: Socket) => (socket.connecting ? socket.once("connect", send) : send()))
  } else {
    bodySent = true
    up.end()
  }
  up.on("response", (answer) => {
    responded = true
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, downstreamHeaders(answer))
    const declared = answer.headers["content-length"]
    const counted = declared === undefined
    if (!counted && req.method !== "HEAD" && answer.statusCode !== 204 && answer.statusCode !== 304)
      flow.bytesOut = Number(declared)
    // what `pipe` does, with three listeners instead of its eight (this runs for every request)
    answer.on("data", (chunk: Buffer) => {
      if (counted) flow.bytesOut += chunk.length
      if (!res.write(chunk)) answer.pause()
    })
    res.on("drain", () => answer.resume())
    answer.once("end", () => {
      res.end()
      settle(false)
    })
    answer.once("close", () => {
      if (!answer.complete) {
        pool.clientFailures++
        res.destroy()
        settle(true)
      }
    })
  })
  up.on("error", (error: NodeJS.ErrnoException) => {
    if (settled) return
    if (responded) {
      pool.clientFailures++
      res.destroy()
      settle(true)
      return
    }
    const clientGone = res.destroyed || req.destroyed
    settle(!clientGone)
    if (clientGone) return
    if (error.code !== undefined && unreachable.has(error.code)) pool.markDown(b)
    if (!timedOut && tried === undefined && (idempotent.has(req.method ?? "") || !bodySent)) {
      pool.retried++
      forward(pool, options, req, res, headers, body, b)
      return
    }
    pool.clientFailures++
    replyError(res, timedOut ? 504 : 502, {
      error: timedOut
        ? `backend ${b.id} (${b.backend.host}:${b.backend.port}) did not answer within ${options.requestTimeoutMs} ms`
        : `backend ${b.id} (${b.backend.host}:${b.backend.port}) failed: ${error.code ?? error.message}`,
      ...service
    })
  })
  res.once("close", () => {
    if (!settled) {
      up.destroy()
      settle(false)
    }
  })
}

/**
 * An HTTP listener (not yet listening) that balances every request through `pool`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpServer = (pool: Pool, options: HttpProxyOptions): Server => {
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    forward(pool, options, req, res, upstreamHeaders(req), hasBody(req), undefined)
  })
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => upgrade(pool, req, socket, head, []))
  return server
}

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
 */
const upgrade = (pool: Pool, req: IncomingMessage, client: Socket, head: Buffer, tried: Array<BackendState>): void => {
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
