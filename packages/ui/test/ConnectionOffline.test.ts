import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { Connection, type ConnectionState } from "../app/Connection.js"

/** A WebSocket the test drives (as in Connection.test.ts): it opens and drops when told to. */
class FakeSocket extends EventTarget {
  static readonly OPEN = 1
  static opened: Array<FakeSocket> = []
  readyState = 0
  readonly sent: Array<unknown> = []

  constructor(readonly url: string) {
    super()
    FakeSocket.opened.push(this)
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }

  close(): void {
    this.readyState = 3
  }

  accept(): void {
    this.readyState = FakeSocket.OPEN
    this.dispatchEvent(new Event("open"))
  }

  drop(): void {
    this.readyState = 3
    this.dispatchEvent(new Event("close"))
  }
}

const options = { pingIntervalMs: 1_000, idleTimeoutMs: 2_500, backoffBaseMs: 100, backoffMaxMs: 1_000 }

const connect = () => {
  const states: Array<ConnectionState> = []
  const connection = new Connection(
    "ws://ui.test/api/v1/ws",
    { onState: (s) => states.push(s), onMessage: () => {} },
    options
  )
  return { connection, states, socket: () => FakeSocket.opened.at(-1)! }
}

describe("Connection when the browser goes offline", () => {
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

  it("stops retrying while offline and reconnects (and re-subscribes) as soon as the network is back", () => {
    const { connection, states, socket } = connect()
    connection.start()
    connection.subscribe("hosts", { kind: "system" })
    socket().accept()
    // Going offline with an open socket changes nothing until the socket drops.
    connection.setOnline(false)
    expect(states.at(-1)).toEqual({ kind: "live" })
    socket().drop()
    expect(states.at(-1)).toEqual({ kind: "offline" })
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.opened).toHaveLength(1)

    connection.setOnline(true)
    expect(FakeSocket.opened).toHaveLength(2)
    expect(states.at(-1)).toEqual({ kind: "connecting", attempt: 2 })
    socket().accept()
    expect(socket().sent).toEqual([{ type: "subscribe", view: "hosts", filters: { kind: "system" } }])
    expect(states.at(-1)).toEqual({ kind: "live" })
  })

  it("cancels a pending retry when the network goes, and ignores repeated news", () => {
    const { connection, states, socket } = connect()
    connection.start()
    socket().drop()
    expect(states.at(-1)).toEqual({ kind: "waiting", attempt: 1, retryAt: 100 })
    connection.setOnline(false)
    connection.setOnline(false)
    expect(states.filter((s) => s.kind === "offline")).toHaveLength(1)
    vi.advanceTimersByTime(10_000)
    expect(FakeSocket.opened).toHaveLength(1)
    connection.setOnline(true)
    connection.setOnline(true)
    expect(FakeSocket.opened).toHaveLength(2)
  })

  it("does not reconnect after close, online or not", () => {
    const { connection, socket } = connect()
    connection.start()
    socket().accept()
    connection.close()
    connection.setOnline(false)
    connection.setOnline(true)
    expect(FakeSocket.opened).toHaveLength(1)
  })
})
