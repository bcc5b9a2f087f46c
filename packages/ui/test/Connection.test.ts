import { afterEach, describe, expect, it, vi } from "vitest"
import { backoffDelay } from "../app/Connection.js"
import type { ServerMessage } from "../app/Protocol.js"
import { connect as connectTo, FakeSocket, useFakeSockets } from "./fakeSocket.js"

const url = "ws://ui.test/scope/api/v1/ws"
const snapshot: ServerMessage = {
  type: "snapshot",
  view: { view: "containers", nodes: [], edges: [], total: 0, renderedAt: 1 }
}

/** A connection with recorded callbacks; the last socket it opened is `socket()`. */
const connect = () => connectTo(url)

describe("Connection", () => {
  useFakeSockets()

  it("subscribes once the socket opens, hands over messages, and subscribes again after a reconnect", () => {
    const { connection, states, messages, socket } = connect()
    connection.start()
    connection.subscribe("containers", { search: "web" })
    const first = socket()
    expect(first.url).toBe(url)
    expect(first.sent).toEqual([])
    first.accept()
    expect(first.sent).toEqual([{ type: "subscribe", view: "containers", filters: { search: "web" } }])
    first.receive(snapshot)
    expect(messages).toEqual([snapshot])

    first.drop()
    vi.advanceTimersByTime(100)
    const second = socket()
    expect(second).not.toBe(first)
    second.accept()
    expect(second.sent).toEqual([{ type: "subscribe", view: "containers", filters: { search: "web" } }])
    expect(states).toEqual([
      { kind: "connecting", attempt: 1 },
      { kind: "live" },
      // The snapshot reset the attempts: the first retry waits the base delay.
      { kind: "waiting", attempt: 0, retryAt: 100 },
      { kind: "connecting", attempt: 1 },
      { kind: "live" }
    ])
  })

  it("doubles the wait between failed attempts up to the cap, reports each refusal, and retries now on request", () => {
    const { connection, states, refused, socket } = connect()
    connection.start()
    const waits: Array<number> = []
    for (let attempt = 1; attempt <= 5; attempt++) {
      socket().drop()
      const waiting = states.at(-1)
      if (waiting?.kind !== "waiting") throw new Error(`expected a waiting state, got ${JSON.stringify(waiting)}`)
      waits.push(waiting.retryAt - Date.now())
      vi.advanceTimersByTime(waiting.retryAt - Date.now())
    }
    expect(waits).toEqual([100, 200, 400, 800, 1_000])
    expect(refused()).toBe(5)

    socket().drop()
    const before = FakeSocket.opened.length
    connection.retryNow()
    expect(FakeSocket.opened.length).toBe(before + 1)
    expect(states.at(-1)).toEqual({ kind: "connecting", attempt: 7 })
    // Only one socket at a time: a second request while connecting does nothing.
    connection.retryNow()
    expect(FakeSocket.opened.length).toBe(before + 1)
  })

  it("pings on the interval and replaces a socket that stays silent past the idle timeout", () => {
    const { connection, states, refused, socket } = connect()
    connection.start()
    const first = socket()
    first.accept()
    vi.advanceTimersByTime(1_000)
    expect(first.sent).toEqual([{ type: "ping" }])
    first.receive({ type: "pong" })
    vi.advanceTimersByTime(2_000)
    expect(first.sent).toEqual([{ type: "ping" }, { type: "ping" }, { type: "ping" }])
    expect(first.closedWith).toBeUndefined()

    // 3 s since the pong, more than the 2.5 s idle timeout: give up on it without waiting for its close event.
    vi.advanceTimersByTime(1_000)
    expect(first.closedWith).toEqual([4000, "no answer to pings"])
    expect(states.at(-1)).toEqual({ kind: "waiting", attempt: 1, retryAt: 4_100 })
    first.drop()
    expect(states.filter((s) => s.kind === "waiting")).toHaveLength(1)
    expect(refused()).toBe(0)
    vi.advanceTimersByTime(100)
    expect(FakeSocket.opened).toHaveLength(2)
  })

  it("ignores messages that are not JSON text", () => {
    const { connection, messages, socket } = connect()
    connection.start()
    socket().accept()
    socket().receive("not json")
    socket().dispatchEvent(new MessageEvent("message", { data: new ArrayBuffer(4) }))
    socket().receive({ type: "pong" })
    expect(messages).toEqual([{ type: "pong" }])
  })

  it("closes for good: no reconnect, no refusal, and a closed state", () => {
    const { connection, states, refused, socket } = connect()
    connection.start()
    const first = socket()
    first.accept()
    connection.close()
    expect(first.closedWith).toEqual([1000, "closed by the UI"])
    first.drop()
    connection.retryNow()
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.opened).toEqual([first])
    expect(first.sent).toEqual([])
    expect(refused()).toBe(0)
    expect(states.at(-1)).toEqual({ kind: "closed" })
  })
})

describe("backoffDelay", () => {
  afterEach(() => vi.restoreAllMocks())

  it("doubles from the base up to the cap, with at most 25% jitter either way", () => {
    const limits = { backoffBaseMs: 500, backoffMaxMs: 15_000 }
    const at = (random: number) => {
      vi.spyOn(Math, "random").mockReturnValue(random)
      return [1, 2, 3, 6, 7, 30].map((attempt) => backoffDelay(attempt, limits))
    }
    expect(at(0.5)).toEqual([500, 1_000, 2_000, 15_000, 15_000, 15_000])
    expect(at(0)).toEqual([375, 750, 1_500, 11_250, 11_250, 11_250])
    expect(at(0.999_999)).toEqual([625, 1_250, 2_500, 18_750, 18_750, 18_750])
  })
})
