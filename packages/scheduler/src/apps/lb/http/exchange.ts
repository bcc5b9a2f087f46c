/**
 * One request in flight to one backend, whatever the upstream (node:http or undici): the pool flow, its byte
 * counters, and what both upstreams do the same way: writing the answer's head (learning on the way whether the
 * backend keeps connections alive), ending or cutting the answer, and, when the backend failed before
 * answering, the one retry on another backend, 502 or 504.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { BackendState, Flow, Pool } from "../internal/Pool.js"
import { keepsAlive } from "./headers.js"
import { replyError } from "./reply.js"

/**
 * What an exchange needs from its listener: the pool, the request timeout, and how to send a request again.
 *
 * @since 0.1.0
 * @category models
 */
export interface Route {
  readonly pool: Pool
  readonly requestTimeoutMs: number
  readonly maxSocketsPerBackend: number
  /** Sends the request to a backend other than `tried` (or answers 502). */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    headers: ReadonlyArray<string>,
    body: boolean,
    tried: BackendState | undefined
  ): void
}

/**
 * Sends a request to backend `b` through one upstream (the exchange it makes opens in the pool).
 *
 * @since 0.1.0
 * @category models
 */
export type Send = (
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  headers: ReadonlyArray<string>,
  body: boolean,
  b: BackendState,
  tried: BackendState | undefined
) => void

const idempotent = new Set(["GET", "HEAD", "OPTIONS"])

/** Errors that show the backend is not there (as opposed to a dropped keep-alive socket). */
const unreachable = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"])

/**
 * A request in flight to `backend`: opened in the pool when made, closed exactly once by {@link settle}.
 *
 * @since 0.1.0
 * @category models
 */
export abstract class Exchange implements Flow {
  bytesIn = 0
  bytesOut = 0
  settled = false
  /** The request (head and body) started to go out: a retry is only safe for idempotent methods. */
  bodySent = false
  timedOut = false
  responded = false
  constructor(
    readonly route: Route,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly headers: ReadonlyArray<string>,
    readonly body: boolean,
    readonly backend: BackendState,
    readonly tried: BackendState | undefined
  ) {
    route.pool.open(backend, this)
  }

  abstract destroy(): void

  settle(failed: boolean): void {
    if (this.settled) return
    this.settled = true
    this.route.pool.close(this.backend, this, failed)
  }

  /** Writes the answer's head to the client; learns from it whether the backend keeps connections alive. */
  respond(
    status: number,
    message: string | undefined,
    headers: ReadonlyArray<string>,
    httpVersion: string | undefined,
    connection: string | undefined,
    contentLength: string | undefined
  ): void {
    this.responded = true
    this.backend.upstream = keepsAlive(httpVersion, connection) ? "undici" : "node"
    this.res.writeHead(status, message, headers as Array<string>)
    if (contentLength !== undefined && this.req.method !== "HEAD" && status !== 204 && status !== 304)
      this.bytesOut = Number(contentLength)
  }

  /** The answer is complete. */
  finish(): void {
    this.res.end()
    this.settle(false)
  }

  /** The answer broke off after its head went out: the client's answer is cut too. */
  cut(): void {
    if (this.settled) return
    this.route.pool.clientFailures++
    this.res.destroy()
    this.settle(true)
  }

  /** The client left before the answer was complete: the upstream side is cancelled. */
  clientGone(): void {
    if (this.settled) return
    this.destroy()
    this.settle(false)
  }

  /**
   * The backend failed (`code`, else `message`): before answering, the request is retried once on another
   * backend when that is safe, else answered 502 (504 when it timed out); after, the answer is cut.
   */
  failed(code: string | undefined, message: string): void {
    if (this.settled) return
    if (this.responded) {
      this.cut()
      return
    }
    const { req, res, backend: b, route } = this
    const clientGone = res.destroyed || req.destroyed
    this.settle(!clientGone)
    if (clientGone) return
    const pool = route.pool
    if (code !== undefined && unreachable.has(code)) pool.markDown(b)
    if (!this.timedOut && this.tried === undefined && (idempotent.has(req.method ?? "") || !this.bodySent)) {
      pool.retried++
      route.forward(req, res, this.headers, this.body, b)
      return
    }
    pool.clientFailures++
    const address = `${b.backend.host}:${b.backend.port}`
    replyError(res, this.timedOut ? 504 : 502, {
      error: this.timedOut
        ? `backend ${b.id} (${address}) did not answer within ${route.requestTimeoutMs} ms`
        : `backend ${b.id} (${address}) failed: ${code ?? message}`,
      service: pool.spec.name,
      servicePort: pool.spec.servicePort
    })
  }
}
