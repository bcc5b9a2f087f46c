import { describe, expect, it } from "vitest"
import { fromBase64, PipeClient, toBase64 } from "../app/pipes/PipeClient.js"
import type { ClientMessage } from "../app/Protocol.js"

/** A transport that records what the client sends; `up` says whether the socket is open. */
const transport = () => {
  const sent: Array<ClientMessage> = []
  const state = { up: true }
  return {
    sent,
    state,
    send: (message: ClientMessage) => {
      if (state.up) sent.push(message)
      return state.up
    }
  }
}

const b64 = (text: string) => Buffer.from(text).toString("base64")

/** A pipe's owner that records what it hears. */
const owner = () => {
  const heard = { data: "", closed: [] as Array<string> }
  const decoder = new TextDecoder()
  return {
    heard,
    handlers: {
      onData: (bytes: Uint8Array) => {
        heard.data += decoder.decode(bytes, { stream: true })
      },
      onClosed: (reason: string) => heard.closed.push(reason)
    }
  }
}

describe("PipeClient", () => {
  it("attaches, decodes output, and encodes input as base64", () => {
    const t = transport()
    const client = new PipeClient(t)
    const o = owner()
    const pipe = client.attach("p1", o.handlers)
    expect(client.receive({ type: "pipe.output", pipeId: "p1", data: b64("hello ") })).toBe(true)
    client.receive({ type: "pipe.output", pipeId: "p1", data: b64("wörld\n") })
    // Output of another pipe is not this owner's.
    client.receive({ type: "pipe.output", pipeId: "p2", data: b64("nope") })
    expect(pipe.write("ls -l\r")).toBe(true)
    expect(pipe.write(new Uint8Array([3]))).toBe(true)
    expect(o.heard.data).toBe("hello wörld\n")
    expect(t.sent).toEqual([
      { type: "pipe.attach", pipeId: "p1" },
      { type: "pipe.input", pipeId: "p1", data: b64("ls -l\r") },
      { type: "pipe.input", pipeId: "p1", data: "Aw==" }
    ])
  })

  it("sends a resize only when the size changes, in whole characters", () => {
    const t = transport()
    const pipe = new PipeClient(t).attach("p1", owner().handlers)
    pipe.resize(80.7, 24)
    pipe.resize(80, 24)
    pipe.resize(120, 30)
    pipe.resize(0, -3)
    expect(t.sent.slice(1)).toEqual([
      { type: "pipe.resize", pipeId: "p1", cols: 80, rows: 24 },
      { type: "pipe.resize", pipeId: "p1", cols: 120, rows: 30 },
      { type: "pipe.resize", pipeId: "p1", cols: 1, rows: 1 }
    ])
  })

  it("tells the owner when the app closes the pipe, and then ignores the pipe", () => {
    const t = transport()
    const client = new PipeClient(t)
    const o = owner()
    const pipe = client.attach("p1", o.handlers)
    client.receive({ type: "pipe.closed", pipeId: "p1", reason: "exited with code 0" })
    client.receive({ type: "pipe.closed", pipeId: "p1" })
    expect(o.heard.closed).toEqual(["exited with code 0"])
    expect(pipe.closed).toBe(true)
    expect(pipe.write("x")).toBe(false)
    pipe.resize(10, 10)
    pipe.close()
    expect(t.sent).toEqual([{ type: "pipe.attach", pipeId: "p1" }])
    expect(client.open).toBe(0)
  })

  it("reads a close without a reason as 'closed'", () => {
    const client = new PipeClient(transport())
    const o = owner()
    client.attach("p1", o.handlers)
    client.receive({ type: "pipe.closed", pipeId: "p1" })
    expect(o.heard.closed).toEqual(["closed"])
  })

  it("closes from this side once, without calling the owner back", () => {
    const t = transport()
    const client = new PipeClient(t)
    const o = owner()
    const pipe = client.attach("p1", o.handlers)
    pipe.close()
    pipe.close()
    // The app confirms the close; the owner already knows.
    client.receive({ type: "pipe.closed", pipeId: "p1", reason: "closed by client" })
    expect(t.sent).toEqual([
      { type: "pipe.attach", pipeId: "p1" },
      { type: "pipe.close", pipeId: "p1" }
    ])
    expect(o.heard.closed).toEqual([])
    expect(pipe.closed).toBe(true)
  })

  it("attaches every open pipe again after a reconnect, with its last size", () => {
    const t = transport()
    const client = new PipeClient(t)
    const logs = client.attach("logs-1", owner().handlers)
    const term = client.attach("term-1", owner().handlers)
    term.resize(100, 40)
    t.state.up = false
    // Typed while the socket is down: dropped, and said so.
    expect(term.write("x")).toBe(false)
    t.sent.length = 0
    t.state.up = true
    client.reconnected()
    expect(t.sent).toEqual([
      { type: "pipe.attach", pipeId: "logs-1" },
      { type: "pipe.attach", pipeId: "term-1" },
      { type: "pipe.resize", pipeId: "term-1", cols: 100, rows: 40 }
    ])
    expect(logs.closed).toBe(false)
  })

  it("attaches a pipe opened while the socket was down once it is live", () => {
    const t = transport()
    t.state.up = false
    const client = new PipeClient(t)
    client.attach("p1", owner().handlers)
    expect(t.sent).toEqual([])
    t.state.up = true
    client.reconnected()
    expect(t.sent).toEqual([{ type: "pipe.attach", pipeId: "p1" }])
  })

  it("closes every pipe at once", () => {
    const t = transport()
    const client = new PipeClient(t)
    client.attach("a", owner().handlers)
    client.attach("b", owner().handlers)
    client.closeAll()
    expect(t.sent.slice(2)).toEqual([
      { type: "pipe.close", pipeId: "a" },
      { type: "pipe.close", pipeId: "b" }
    ])
    expect(client.open).toBe(0)
  })

  it("leaves other messages alone", () => {
    const client = new PipeClient(transport())
    expect(client.receive({ type: "pong" })).toBe(false)
  })
})

describe("base64", () => {
  it("round-trips every byte value, and large buffers", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(fromBase64(toBase64(all))).toEqual(all)
    const large = new Uint8Array(200_000).map((_, i) => (i * 7) % 256)
    expect(toBase64(large)).toBe(Buffer.from(large).toString("base64"))
  })

  it("turns malformed input into no bytes", () => {
    expect(fromBase64("%%%")).toEqual(new Uint8Array(0))
  })
})
