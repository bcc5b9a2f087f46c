/**
 * The TCP mode of a service port: each accepted connection goes to one backend and bytes are forwarded both
 * ways with backpressure (see `internal/SocketFlow`). A half-close on one side is passed on (both sockets
 * allow half-open), an error or reset on either side closes the other. A backend that refuses the connection
 * (or does not accept it within `connectTimeoutMs`) before any byte flows is marked down for `downMs` and the
 * client is tried on another backend, so a task that just died costs no failed connection.
 *
 * The per-connection path allocates one flow object and the two sockets: no closures, no per-connection timer
 * (one sweep per listener enforces the connect timeouts), and the client is accepted paused, so nothing is
 * read from it before its backend connection is up.
 *
 * @since 0.1.0
 */
import { connect, createServer, type Server, type Socket } from "node:net"
import type { BackendState, Pool } from "./internal/Pool.js"
import { flowOf, ignore, SocketFlow, splice } from "./internal/SocketFlow.js"

/**
 * Options of the TCP listener.
 *
 * @since 0.1.0
 * @category models
 */
export interface TcpProxyOptions {
  /** How long a backend may take to accept a connection before the next one is tried. */
  readonly connectTimeoutMs: number
  /** How many backends one client connection may try. */
  readonly maxAttempts: number
}

/**
 * The connections of one listener that are still connecting to their backend, and one interval (running only
 * while there are some) that cuts those older than the timeout: a timeout fires between 1 and 1.25 times
 * `connectTimeoutMs` after the attempt started.
 */
class ConnectDeadlines {
  private readonly since = new Map<SocketFlow, number>()
  private timer: ReturnType<typeof setInterval> | undefined = undefined
  constructor(private readonly timeoutMs: number) {}
  add(flow: SocketFlow): void {
    this.since.set(flow, Date.now())
    if (this.timer === undefined) {
      this.timer = setInterval(this.sweep, Math.max(5, Math.floor(this.timeoutMs / 4)))
      this.timer.unref()
    }
  }
  delete(flow: SocketFlow): void {
    this.since.delete(flow)
  }
  private readonly sweep = (): void => {
    const oldest = Date.now() - this.timeoutMs
    for (const [flow, started] of this.since) {
      if (started > oldest) break
      this.since.delete(flow)
      flow.upstream?.destroy()
    }
    if (this.since.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}

/** The per-listener state the shared socket listeners reach through the flow. */
interface Listener {
  readonly pool: Pool
  readonly options: TcpProxyOptions
  readonly deadlines: ConnectDeadlines
}

/** A flow of TCP mode: knows its listener and the backends it tried. */
class TcpFlow extends SocketFlow {
  /** Backends tried already, made on the first retry only. */
  tried: Array<BackendState> | undefined = undefined
  constructor(
    client: Socket,
    backend: BackendState,
    readonly listener: Listener
  ) {
    super(client, listener.pool, backend)
  }
}

const tcpFlowOf = (socket: Socket): TcpFlow => flowOf(socket) as TcpFlow

/** Connects the flow's client to its current backend. */
const dial = (flow: TcpFlow): void => {
  const { host, port } = flow.backend.backend
  const upstream = connect({ host, port, allowHalfOpen: true, noDelay: true })
  flow.attach(upstream)
  flow.listener.deadlines.add(flow)
  upstream.on("error", ignore)
  upstream.once("connect", onConnect)
  upstream.once("close", onAttemptClosed)
}

function onConnect(this: Socket): void {
  const flow = tcpFlowOf(this)
  flow.listener.deadlines.delete(flow)
  this.off("close", onAttemptClosed)
  flow.client.off("close", onClientGone)
  splice(flow)
}

/** The client left while its backend connection was still being set up. */
function onClientGone(this: Socket): void {
  flowOf(this).upstream?.destroy()
}

/** The backend connection closed before it was up: refused, unreachable or timed out. */
function onAttemptClosed(this: Socket): void {
  const flow = tcpFlowOf(this)
  const { pool, client, listener } = flow
  listener.deadlines.delete(flow)
  pool.close(flow.backend, flow, !client.destroyed)
  if (client.destroyed) return
  pool.markDown(flow.backend)
  const tried = flow.tried ?? []
  flow.tried = tried
  tried.push(flow.backend)
  const next = tried.length >= listener.options.maxAttempts ? undefined : pool.pick(tried)
  if (next === undefined) {
    client.off("close", onClientGone)
    pool.turnAway()
    client.destroy()
    return
  }
  pool.retried++
  flow.backend = next
  pool.open(next, flow)
  dial(flow)
}

const accept = (listener: Listener, client: Socket): void => {
  client.on("error", ignore)
  const pool = listener.pool
  const b = pool.pick()
  if (b === undefined) {
    pool.turnAway()
    client.destroy()
    return
  }
  const flow = new TcpFlow(client, b, listener)
  pool.open(b, flow)
  client.once("close", onClientGone)
  dial(flow)
}

/**
 * A TCP listener (not yet listening) that proxies every connection through `pool`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tcpServer = (pool: Pool, options: TcpProxyOptions): Server => {
  const listener: Listener = { pool, options, deadlines: new ConnectDeadlines(options.connectTimeoutMs) }
  return createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) =>
    accept(listener, client)
  )
}
