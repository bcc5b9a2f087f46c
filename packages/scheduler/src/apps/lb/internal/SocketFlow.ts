/**
 * A proxied connection pair (client socket, backend socket) as a pool flow, and the splice that forwards
 * bytes between them. The splice is the per-connection hot path of TCP mode, so it creates no closures and no
 * timers: the listeners are module functions shared by every socket, finding their pair through one symbol
 * property, and they do what `pipe` does (write, pause on a full peer, resume on its `drain`, pass `end` on)
 * with four listeners per socket instead of pipe's eight closures.
 *
 * @since 0.1.0
 */
import type { Socket } from "node:net"
import type { BackendState, Flow, Pool } from "./Pool.js"

const kFlow = Symbol("orchestrator.lb.flow")

interface Paired extends Socket {
  [kFlow]?: SocketFlow
}

/**
 * A client connection and the backend connection it is (or is about to be) spliced to.
 *
 * @since 0.1.0
 * @category models
 */
export class SocketFlow implements Flow {
  upstream: Socket | undefined = undefined
  /** Sockets of the pair not closed yet (once spliced). */
  open = 2
  /** The socket closed because both its directions were done (see `onEnd`), not cut. */
  closedDone: Socket | undefined = undefined
  /** Bytes through the client socket at the idle sweep's last look, and since when that count holds. */
  seenBytes = -1
  quietSince = 0
  constructor(
    readonly client: Socket,
    readonly pool: Pool,
    public backend: BackendState
  ) {
    ;(client as Paired)[kFlow] = this
  }
  get bytesIn(): number {
    return this.client.bytesRead
  }
  get bytesOut(): number {
    return this.client.bytesWritten
  }
  /** Makes `socket` the backend side of this flow. */
  attach(socket: Socket): void {
    this.upstream = socket
    ;(socket as Paired)[kFlow] = this
  }
  destroy(): void {
    this.client.destroy()
    this.upstream?.destroy()
  }
}

/**
 * The flow a socket belongs to.
 *
 * @since 0.1.0
 * @category utils
 */
export const flowOf = (socket: Socket): SocketFlow => (socket as Paired)[kFlow]!

const peerOf = (socket: Socket): Socket => {
  const flow = (socket as Paired)[kFlow]!
  return socket === flow.client ? flow.upstream! : flow.client
}

/**
 * A socket that closed without both of its directions ending cleanly: its peer must be cut too. A socket closed
 * by {@link onEnd} once both of its directions were done counts as clean.
 */
const abnormal = (socket: Socket): boolean =>
  !socket.readableEnded || !(socket.writableFinished || (socket as Paired)[kFlow]!.closedDone === socket)

function onData(this: Socket, chunk: Buffer): void {
  if (!peerOf(this).write(chunk)) this.pause()
}

function onDrain(this: Socket): void {
  peerOf(this).resume()
}

/**
 * Passes a half-close on. When the peer has half-closed already and has nothing left to send, both directions of
 * the peer are done: it is closed at once (`close` sends the FIN) rather than shut down and then closed, one
 * system call and one libuv request less per proxied connection (a backend that closes after answering, then the
 * client, is every HTTP/1.0-style request).
 */
function onEnd(this: Socket): void {
  const peer = peerOf(this)
  if (peer.readableEnded && peer.writableLength === 0 && !peer.destroyed) {
    ;(peer as Paired)[kFlow]!.closedDone = peer
    peer.destroy()
  } else peer.end()
}

function onClose(this: Socket): void {
  const flow = (this as Paired)[kFlow]!
  if (abnormal(this)) peerOf(this).destroy()
  if (--flow.open === 0) flow.pool.close(flow.backend, flow, false)
}

const splice1 = (socket: Socket): void => {
  socket.on("end", onEnd)
  socket.on("drain", onDrain)
  socket.on("close", onClose)
  socket.on("data", onData)
  // a client accepted with `pauseOnConnect` is explicitly paused: a `data` listener alone does not start it
  socket.resume()
  // a socket that closed or ended before the splice (an Upgrade client that left while its backend
  // connected: node:http has already read its FIN) is passed on now, as its events will not come again
  if (socket.closed) onClose.call(socket)
  else if (socket.readableEnded) onEnd.call(socket)
}

/**
 * Forwards bytes both ways between the flow's client and its connected upstream until both close. A half-close
 * is passed on (both sockets must allow half-open); a socket that closes abnormally (error, reset, destroy)
 * cuts its peer; the pool hears of the flow's end once both are closed (also when one closed already).
 *
 * @since 0.1.0
 * @category constructors
 */
export const splice = (flow: SocketFlow): void => {
  flow.open = 2
  splice1(flow.client)
  splice1(flow.upstream!)
}

/**
 * Ignores an event (sockets need an `error` listener; their `close` does the work).
 *
 * @since 0.1.0
 * @category utils
 */
export const ignore = (): void => {}
