import { describe, expect, it, vi } from "vitest"
import { connect as connectTo, FakeSocket, useFakeSockets } from "./fakeSocket.js"

const connect = () => connectTo("ws://ui.test/api/v1/ws")

describe("Connection when the browser goes offline", () => {
  useFakeSockets()

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
