/**
 * Tracks the session of a node-zookeeper-client connection, which the driver alone does not do well:
 *
 * - the driver has no read timeout, so a server that stops answering (SIGSTOP, a partition) leaves it
 *   "connected" forever. We send a heartbeat every third of the session timeout and, when nothing answered
 *   for two thirds of it, report `disconnected` and drop the socket so the driver tries the next server
 *   (resuming the same session, like the Java client does);
 * - the driver never reports expiry unless a server tells it. When nothing answered for the whole negotiated
 *   session timeout we report `expired` ourselves (no server can hold the session longer than that after it
 *   last heard from us), close the client and, if asked, open a new session.
 *
 * Plain TypeScript driven by the driver's callbacks and its own interval timer, on real time (the driver's
 * sockets and the servers' session clocks are real, so a TestClock must not stretch or freeze these timers);
 * all state changes go out through `publish`.
 *
 * @internal
 */
import type { AuthInfo } from "../Acl.js"
import type { SessionState } from "../Session.js"
import {
  type Driver,
  type DriverClient,
  type DriverState,
  batchWrites,
  dropSocket,
  frameSocketData,
  int64,
  shutdown,
  States
} from "./driver.js"

/** What the tracker needs to open sessions. */
export interface TrackerOptions {
  readonly connectString: string
  readonly sessionTimeoutMs: number
  readonly spinDelayMs: number
  readonly reconnectOnExpiry: boolean
  /** Credentials presented on every session. */
  readonly auth: ReadonlyArray<AuthInfo>
}

/** The client requests go to, and the session generation it belongs to. */
export interface Current {
  readonly client: DriverClient
  readonly generation: number
}

/** The session tracker (see the module comment). */
export class SessionTracker {
  state: SessionState = "connecting"
  generation = -1
  sessionId = 0n
  timeoutMs: number
  private client: DriverClient | undefined
  private lastHeard = 0
  private lastPing = 0
  private lastKick = 0
  private readonly renewListeners = new Set<() => void>()
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly auth: Array<AuthInfo>

  constructor(
    private readonly driver: Driver,
    private readonly options: TrackerOptions,
    private readonly publish: (state: SessionState) => void
  ) {
    this.timeoutMs = options.sessionTimeoutMs
    this.auth = [...options.auth]
  }

  /** Presents credentials on the current session (the driver resends them after reconnects) and new ones. */
  addAuth(info: AuthInfo): void {
    this.auth.push(info)
    this.client?.addAuthInfo(info.scheme, Buffer.from(info.auth, "utf8"))
  }

  /** Opens the first session and starts the timers, checked every `tickMs`. */
  start(tickMs: number): void {
    this.open(Date.now())
    this.timer = setInterval(() => this.tick(Date.now()), tickMs)
    this.timer.unref()
  }

  /** The client to send requests to, unless the session expired (without reconnect) or the tracker closed. */
  current(): Current | undefined {
    return this.client === undefined ? undefined : { client: this.client, generation: this.generation }
  }

  /**
   * Calls `listener` once, when the client is next replaced (new session) or closed: watches must then be
   * set again. Returns a function that unregisters it.
   */
  onRenew(listener: () => void): () => void {
    this.renewListeners.add(listener)
    return () => {
      this.renewListeners.delete(listener)
    }
  }

  /** Records an answer from a server for the session of `generation`. */
  markHeard(generation: number, now: number): void {
    if (generation === this.generation) this.lastHeard = now
  }

  /** Runs the timers: heartbeat, read timeout, our own session expiry. */
  tick(now: number): void {
    const client = this.client
    if (client === undefined || this.state === "closed") return
    const timeout = this.timeoutMs
    switch (this.state) {
      case "connected": {
        if (now - this.lastHeard > (timeout * 2) / 3) {
          this.set("disconnected")
          this.kick(client, now)
        } else if (now - this.lastPing >= timeout / 3) {
          this.lastPing = now
          const generation = this.generation
          client.exists("/", undefined, (error) => {
            if (error === null || error === undefined) this.markHeard(generation, Date.now())
          })
        }
        return
      }
      case "disconnected": {
        if (now - this.lastHeard >= timeout) this.expire(now)
        else if (now - this.lastKick >= Math.max(timeout / 3, 200)) this.kick(client, now)
        return
      }
      case "connecting":
      case "expired": {
        // a server that accepted the TCP connection but never answers the handshake stalls the driver
        if (now - this.lastKick >= Math.max(timeout, 1_000)) this.kick(client, now)
        return
      }
    }
  }

  /** Closes the client for good, waiting up to `graceMs` for the server to end the session. */
  close(graceMs: number): Promise<void> {
    if (this.state === "closed") return Promise.resolve()
    clearInterval(this.timer)
    const client = this.client
    const wasConnected = this.state === "connected"
    this.client = undefined
    this.set("closed")
    this.renew()
    return client === undefined ? Promise.resolve() : shutdown(client, wasConnected ? graceMs : 0)
  }

  private open(now: number): void {
    this.generation += 1
    const generation = this.generation
    const client = this.driver.createClient(this.options.connectString, {
      sessionTimeout: this.options.sessionTimeoutMs,
      spinDelay: this.options.spinDelayMs,
      retries: 0
    })
    frameSocketData(client)
    batchWrites(client)
    client.on("state", (state) => this.onDriverState(generation, client, state))
    for (const info of this.auth) client.addAuthInfo(info.scheme, Buffer.from(info.auth, "utf8"))
    this.client = client
    this.lastKick = now
    client.connect()
  }

  private onDriverState(generation: number, client: DriverClient, state: DriverState): void {
    if (generation !== this.generation || this.state === "closed") return
    const now = Date.now()
    switch (state.name) {
      case States.connected:
      case States.connectedReadOnly: {
        this.sessionId = int64(client.getSessionId())
        this.timeoutMs = client.getSessionTimeout()
        this.lastHeard = now
        this.lastPing = now
        this.set("connected")
        return
      }
      case States.disconnected: {
        if (this.state === "connected") {
          this.lastKick = now
          this.set("disconnected")
        }
        return
      }
      case States.expired: {
        this.expire(now)
        return
      }
    }
  }

  private kick(client: DriverClient, now: number): void {
    this.lastKick = now
    dropSocket(client)
  }

  private expire(now: number): void {
    const old = this.client
    this.client = undefined
    this.set("expired")
    if (old !== undefined) void shutdown(old, 0)
    if (this.options.reconnectOnExpiry) this.open(now)
    this.renew()
  }

  private renew(): void {
    const listeners = [...this.renewListeners]
    this.renewListeners.clear()
    for (const listener of listeners) listener()
  }

  private set(state: SessionState): void {
    if (state === this.state) return
    this.state = state
    this.publish(state)
  }
}
