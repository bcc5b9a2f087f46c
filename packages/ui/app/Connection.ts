/**
 * The live connection to `/api/v1/ws`: subscribes to one view with filters, hands snapshots and deltas to the
 * app, pings to keep proxies from closing an idle socket, and reconnects with capped, jittered exponential
 * backoff (re-subscribing to the current view). While the browser says the network is down it stops retrying
 * and reports `offline`; when the network is back it reconnects at once (tell it with {@link Connection.setOnline}).
 */
import type { ClientMessage, ServerMessage, ViewFilters } from "./Protocol.js"

/** What the connection is doing, for the header's status pill. */
export type ConnectionState =
  | { readonly kind: "connecting"; readonly attempt: number }
  | { readonly kind: "live" }
  | { readonly kind: "waiting"; readonly attempt: number; readonly retryAt: number }
  /** The browser has no network: no retries until it comes back. */
  | { readonly kind: "offline" }
  | { readonly kind: "closed" }

/** Callbacks of a {@link Connection}. */
export interface ConnectionHandlers {
  readonly onMessage: (message: ServerMessage) => void
  readonly onState: (state: ConnectionState) => void
  /** Called when a socket closes without ever opening (a refused upgrade, e.g. an expired session). */
  readonly onRefused?: () => void
}

/** Timing knobs; the defaults suit a browser talking to a nearby app server. */
export interface ConnectionOptions {
  readonly pingIntervalMs: number
  /** A socket that has not received anything for this long is considered dead and replaced. */
  readonly idleTimeoutMs: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
}

const defaultOptions: ConnectionOptions = {
  pingIntervalMs: 20_000,
  idleTimeoutMs: 45_000,
  backoffBaseMs: 500,
  backoffMaxMs: 15_000
}

/** The delay before reconnect attempt `attempt` (1-based): doubling from the base, capped, ±25% jitter. */
export const backoffDelay = (attempt: number, options: Pick<ConnectionOptions, "backoffBaseMs" | "backoffMaxMs">) => {
  const raw = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(raw * (0.75 + Math.random() * 0.5))
}

/** One WebSocket subscription that survives disconnects. */
export class Connection {
  private socket: WebSocket | undefined
  private subscription: { view: string; filters: ViewFilters } | undefined
  private attempt = 0
  private opened = false
  private lastHeard = 0
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private pingTimer: ReturnType<typeof setInterval> | undefined
  private stopped = false
  private online = true
  private readonly options: ConnectionOptions

  /** `url` is the socket's address (`socketUrl()` from `Api`), passed in so the class needs no page globals. */
  constructor(
    private readonly url: string,
    private readonly handlers: ConnectionHandlers,
    options: Partial<ConnectionOptions> = {}
  ) {
    this.options = { ...defaultOptions, ...options }
  }

  /** Opens the socket (and keeps it open until {@link close}). */
  start(): void {
    this.stopped = false
    this.open()
  }

  /** Subscribes to a view, replacing the previous subscription; re-sent after every reconnect. */
  subscribe(view: string, filters: ViewFilters): void {
    this.subscription = { view, filters }
    this.send({ type: "subscribe", view, filters })
  }

  /** Reconnects now instead of waiting for the backoff timer. */
  retryNow(): void {
    if (this.stopped || this.socket !== undefined) return
    clearTimeout(this.retryTimer)
    this.open()
  }

  /**
   * Tells the connection whether the browser has a network (`navigator.onLine`, the `online` and `offline`
   * events). Offline, a lost socket waits for the network instead of retrying; back online, it reconnects now.
   */
  setOnline(online: boolean): void {
    if (online === this.online) return
    this.online = online
    if (this.stopped || this.socket !== undefined) return
    clearTimeout(this.retryTimer)
    if (online) this.open()
    else this.handlers.onState({ kind: "offline" })
  }

  /** Closes the socket and stops reconnecting. */
  close(): void {
    this.stopped = true
    clearTimeout(this.retryTimer)
    clearInterval(this.pingTimer)
    this.socket?.close(1000, "closed by the UI")
    this.socket = undefined
    this.handlers.onState({ kind: "closed" })
  }

  /** Sends a message now (pipe input, resize, attach); false when the socket is not open. */
  send(message: ClientMessage): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false
    this.socket.send(JSON.stringify(message))
    return true
  }

  private open(): void {
    this.attempt++
    this.opened = false
    this.handlers.onState({ kind: "connecting", attempt: this.attempt })
    const socket = new WebSocket(this.url)
    this.socket = socket
    socket.addEventListener("open", () => {
      if (this.socket !== socket) return
      this.opened = true
      this.lastHeard = Date.now()
      this.handlers.onState({ kind: "live" })
      if (this.subscription !== undefined) {
        this.send({ type: "subscribe", view: this.subscription.view, filters: this.subscription.filters })
      }
      clearInterval(this.pingTimer)
      this.pingTimer = setInterval(() => this.heartbeat(socket), this.options.pingIntervalMs)
    })
    socket.addEventListener("message", (event) => {
      if (this.socket !== socket || typeof event.data !== "string") return
      this.lastHeard = Date.now()
      let message: ServerMessage
      try {
        message = JSON.parse(event.data) as ServerMessage
      } catch {
        return
      }
      if (message.type === "snapshot") this.attempt = 0
      this.handlers.onMessage(message)
    })
    socket.addEventListener("close", () => this.lost(socket))
  }

  /** Forgets a socket that closed or went quiet, and schedules the next attempt. */
  private lost(socket: WebSocket): void {
    if (this.socket !== socket) return
    this.socket = undefined
    clearInterval(this.pingTimer)
    if (!this.opened) this.handlers.onRefused?.()
    if (this.stopped) return
    if (!this.online) {
      this.handlers.onState({ kind: "offline" })
      return
    }
    const delay = backoffDelay(Math.max(1, this.attempt), this.options)
    this.handlers.onState({ kind: "waiting", attempt: this.attempt, retryAt: Date.now() + delay })
    this.retryTimer = setTimeout(() => this.open(), delay)
  }

  private heartbeat(socket: WebSocket): void {
    if (Date.now() - this.lastHeard > this.options.idleTimeoutMs) {
      // A dead network can hold the closing handshake for minutes: reconnect without waiting for it.
      socket.close(4000, "no answer to pings")
      this.lost(socket)
      return
    }
    this.send({ type: "ping" })
  }
}
