/**
 * A WebSocket the unit tests of `Connection` drive, and the fake clock they run on: the connection's timers
 * (pings, idle timeout, backoff) and the socket's events all happen when a test says so.
 */
import { afterEach, beforeEach, vi } from "vitest"
import { Connection, type ConnectionOptions, type ConnectionState } from "../app/Connection.js"
import type { ServerMessage } from "../app/Protocol.js"

/**
 * A WebSocket the test drives: it opens, receives and drops when told to, and records what the UI sends.
 *
 * @since 0.1.0
 * @category models
 */
export class FakeSocket extends EventTarget {
  static readonly OPEN = 1
  /** Every socket opened since the test began, the latest last. */
  static opened: Array<FakeSocket> = []
  readyState = 0
  readonly sent: Array<unknown> = []
  closedWith: ReadonlyArray<unknown> | undefined

  constructor(readonly url: string) {
    super()
    FakeSocket.opened.push(this)
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }

  /** Like a browser: the `close` event comes later, from the network. */
  close(code: number, reason: string): void {
    this.closedWith = [code, reason]
    this.readyState = 3
  }

  accept(): void {
    this.readyState = FakeSocket.OPEN
    this.dispatchEvent(new Event("open"))
  }

  receive(data: unknown): void {
    this.dispatchEvent(new MessageEvent("message", { data: typeof data === "string" ? data : JSON.stringify(data) }))
  }

  drop(): void {
    this.readyState = 3
    this.dispatchEvent(new Event("close"))
  }
}

/**
 * Puts {@link FakeSocket} in place of `WebSocket` and fakes the clock (from 0) around each test of the calling
 * `describe`, with no jitter: every backoff delay is the doubling base.
 *
 * @since 0.1.0
 * @category constructors
 */
export const useFakeSockets = (): void => {
  beforeEach(() => {
    FakeSocket.opened = []
    vi.useFakeTimers({ now: 0 })
    vi.stubGlobal("WebSocket", FakeSocket)
    vi.spyOn(Math, "random").mockReturnValue(0.5)
  })

  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })
}

/**
 * The timings of the connections under test: a ping a second, idle after 2.5 s, backoff from 100 ms to 1 s.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connectionOptions: ConnectionOptions = {
  pingIntervalMs: 1_000,
  idleTimeoutMs: 2_500,
  backoffBaseMs: 100,
  backoffMaxMs: 1_000
}

/**
 * A connection to `url` with recorded callbacks; the last socket it opened is `socket()`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connect = (url: string) => {
  const states: Array<ConnectionState> = []
  const messages: Array<ServerMessage> = []
  let refused = 0
  const connection = new Connection(
    url,
    { onState: (state) => states.push(state), onMessage: (m) => messages.push(m), onRefused: () => refused++ },
    connectionOptions
  )
  return { connection, states, messages, refused: () => refused, socket: () => FakeSocket.opened.at(-1)! }
}
