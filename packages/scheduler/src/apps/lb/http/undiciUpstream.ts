/**
 * The undici upstream: a request dispatched on the backend's undici `Pool` (HTTP/1.1, one request per
 * connection at a time, no retries of undici's own). HTTP mode uses it for backends that keep connections
 * alive, where its client half costs less JavaScript per request than node:http's (no `ClientRequest` and
 * `IncomingMessage` streams per request). The exchange is the dispatch
 * handler itself, and the client response finds it through one symbol property, so a request allocates no
 * closure (and a chunk nothing at all).
 *
 * @since 0.1.0
 */
import type { ServerResponse } from "node:http"
import { PassThrough } from "node:stream"
import { type Dispatcher, Pool as UndiciPool } from "undici"
import type { BackendState } from "../internal/Pool.js"
import { Exchange, type Route, type Send } from "./exchange.js"
import { endToEnd } from "./headers.js"

const kExchange = Symbol("orchestrator.lb.exchange")

interface Tagged extends ServerResponse {
  [kExchange]?: UndiciExchange
}

/** Errors of undici that mean the backend stayed silent for `requestTimeoutMs`. */
const timeouts = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"])

const cancelled = new Error("the client went away")

const single = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  value === undefined || typeof value === "string" ? value : value.join(", ")

class UndiciExchange extends Exchange implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | undefined = undefined
  counted = true
  /**
   * What undici reads the request body from. Not the client's request itself: undici destroys the stream it
   * read (which would cut the client's connection before a 502 could go out), and the client's body is only
   * piped in once the backend connection is up, so that a request that failed to connect can still be retried.
   */
  upload: PassThrough | undefined = undefined
  destroy(): void {
    // a request still queued (its connection not up) is aborted when it starts
    this.controller?.abort(cancelled)
  }
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.settled) {
      controller.abort(cancelled)
      return
    }
    this.bodySent = true
    if (this.upload !== undefined) this.req.pipe(this.upload)
  }
  onBodySent(chunk: Buffer): void {
    this.bytesIn += chunk.length
  }
  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | Array<string> | undefined>,
    statusMessage?: string
  ): void {
    const connection = single(headers.connection)
    const declared = single(headers["content-length"])
    this.counted = declared === undefined
    const raw = (controller.rawHeaders ?? []) as ReadonlyArray<string | Buffer>
    this.respond(statusCode, statusMessage, endToEnd(raw, connection, []), undefined, connection, declared)
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.counted) this.bytesOut += chunk.length
    if (!this.res.write(chunk)) controller.pause()
  }
  onResponseEnd(): void {
    this.finish()
  }
  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== undefined && timeouts.has(code)) this.timedOut = true
    this.failed(code, error.message)
  }
}

function onDrain(this: Tagged): void {
  this[kExchange]?.controller?.resume()
}

function onClose(this: Tagged): void {
  this[kExchange]?.clientGone()
}

const origin = (b: BackendState): string => {
  const { host, port } = b.backend
  return host.includes(":") ? `http://[${host}]:${port}` : `http://${host}:${port}`
}

/**
 * The backend's undici pool, made on first use. undici closes a connection with an informational `reset` when
 * an answer does not keep it alive (`Connection: close`, HTTP/1.0 without keep-alive, which the handler cannot
 * see; also a HEAD answer without an explicit `Connection: keep-alive`, a rare false alarm that the next answer
 * corrects): the backend then goes to node:http until an answer shows keep-alive again.
 */
const poolOf = (route: Route, b: BackendState): UndiciPool => {
  // a closed pool (the backend drained, then came back) finishes its own requests and shuts down on its own
  if (b.undici === undefined || b.undici.closed) {
    b.undici = new UndiciPool(origin(b), {
      connections: route.maxSocketsPerBackend,
      pipelining: 1,
      headersTimeout: route.requestTimeoutMs,
      bodyTimeout: route.requestTimeoutMs,
      // an idle connection is closed before a backend's usual 5 s keep-alive timeout can race a request
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
      keepAliveTimeoutThreshold: 500,
      connect: { timeout: route.requestTimeoutMs, noDelay: true }
    })
    b.undici.on("disconnect", (_origin, _targets, error: NodeJS.ErrnoException) => {
      if (error.code === "UND_ERR_INFO" && error.message === "reset") b.upstream = "node"
    })
  }
  return b.undici
}

/**
 * Sends the request to `b` over its undici pool; the answer (or failure) goes to the exchange.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sendUndici: Send = (route, req, res, headers, body, b, tried) => {
  const exchange = new UndiciExchange(route, req, res, headers, body, b, tried)
  if (body) exchange.upload = new PassThrough()
  const tagged = res as Tagged
  if (tagged[kExchange] === undefined) {
    res.on("drain", onDrain)
    // `on`, not `once` (which wraps the listener in a new closure): a response closes once
    res.on("close", onClose)
  }
  tagged[kExchange] = exchange
  poolOf(route, b).dispatch(
    {
      path: req.url ?? "/",
      method: (req.method ?? "GET") as Dispatcher.HttpMethod,
      headers: headers as Array<string>,
      body: exchange.upload ?? null,
      // keep the connection after HEAD too (as node:http does): only the backend's answer may close it
      reset: false
    },
    exchange
  )
}
