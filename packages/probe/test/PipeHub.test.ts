import type { ControlProtocol } from "@orchestrator/core"
import { describe, expect, it } from "vitest"
import { PipeHub } from "../src/internal/pipeHub.js"

const transport = () => {
  const sent: Array<ControlProtocol.ProbeToApp> = []
  const state = { buffered: 0, open: true }
  return {
    sent,
    state,
    transport: {
      send: (message: ControlProtocol.ProbeToApp) => {
        if (!state.open) return false
        sent.push(message)
        return true
      },
      buffered: () => state.buffered
    }
  }
}

const limits = { highWater: 100, lowWater: 10, hardLimit: 1_000 }

describe("PipeHub", () => {
  it("sends output base64-encoded, and input and resizes reach the pipe's listeners", () => {
    const t = transport()
    const hub = new PipeHub(t.transport, limits)
    const pipe = hub.open()
    const seen: Array<string> = []
    pipe.onInput((data) => seen.push(`in:${Buffer.from(data).toString()}`))
    const stopResize = pipe.onResize(({ cols, rows }) => seen.push(`resize:${cols}x${rows}`))
    expect(pipe.write("hello")).toBe(true)
    expect(pipe.write(new Uint8Array([104, 105]))).toBe(true)
    hub.input(pipe.id, Buffer.from("ls").toString("base64"))
    hub.resize(pipe.id, 80, 24)
    stopResize()
    hub.resize(pipe.id, 1, 1)
    hub.input("unknown", "eA==")
    expect(t.sent).toEqual([
      { type: "pipe.output", pipeId: pipe.id, data: Buffer.from("hello").toString("base64") },
      { type: "pipe.output", pipeId: pipe.id, data: Buffer.from("hi").toString("base64") }
    ])
    expect(seen).toEqual(["in:ls", "resize:80x24"])
  })

  it("asks the writer to pause above the high-water mark, drops above the hard limit, and signals drain", async () => {
    const t = transport()
    const hub = new PipeHub(t.transport, limits)
    const pipe = hub.open()
    let drained = 0
    pipe.onDrain(() => drained++)
    t.state.buffered = 500
    expect(pipe.write("a")).toBe(false)
    t.state.buffered = 5_000
    expect(pipe.write("dropped")).toBe(false)
    expect(hub.droppedBytes).toBe(7)
    expect(t.sent).toHaveLength(1)
    t.state.buffered = 50
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(drained).toBe(0)
    t.state.buffered = 0
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(drained).toBe(1)
    expect(pipe.write("b")).toBe(true)
  })

  it("closes once: the control's close tells the app; the channel's close tells only the listeners", () => {
    const t = transport()
    const hub = new PipeHub(t.transport, limits)
    const a = hub.open()
    const b = hub.open()
    const reasons: Array<string> = []
    a.onClose((reason) => reasons.push(`a:${reason}`))
    b.onClose((reason) => {
      reasons.push(`b:${reason}`)
      throw new Error("a listener that throws does not break the hub")
    })
    a.close("done")
    a.close("again")
    expect(a.closed).toBe(true)
    expect(a.write("late")).toBe(false)
    expect(t.sent).toEqual([{ type: "pipe.closed", pipeId: a.id, reason: "done" }])
    hub.closeAll("control channel closed")
    expect(reasons).toEqual(["a:done", "b:control channel closed"])
    expect(t.sent).toHaveLength(1)
    expect(hub.size).toBe(0)
  })
})
