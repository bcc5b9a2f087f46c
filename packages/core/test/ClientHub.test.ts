import { EventEmitter } from "node:events"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it, vi } from "vitest"
import { WebSocket, WebSocketServer } from "ws"
import type { ControlHub } from "../src/internal/server/ControlHub.js"
import { ClientHub, type ViewSource } from "../src/internal/server/ClientHub.js"
import * as Diff from "../src/views/Diff.js"
import type { RenderedNode, RenderedView, ViewDelta, ViewFilters } from "../src/views/View.js"

/** A WebSocket stand-in: records what is sent; `receive` plays a client message. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1
  readyState = 1
  bufferedAmount = 0
  readonly sent: Array<Record<string, unknown>> = []
  /** The fragments of a message under way (`fin: false`), and how many fragments each message had. */
  private fragments = ""
  readonly fragmentCounts: Array<number> = []
  private fragmentCount = 0
  send(text: string, options?: { readonly fin?: boolean }) {
    this.fragments += text
    this.fragmentCount++
    if (options?.fin === false) return
    this.sent.push(JSON.parse(this.fragments) as Record<string, unknown>)
    this.fragmentCounts.push(this.fragmentCount)
    this.fragments = ""
    this.fragmentCount = 0
  }
  close() {
    this.readyState = 3
  }
  terminate() {
    this.readyState = 3
  }
  ping() {}
  receive(message: object) {
    this.emit("message", Buffer.from(JSON.stringify(message)), false)
  }
  deltas() {
    return this.sent.filter((m) => m.type === "delta")
  }
}

/**
 * A socket that queues what it is sent until `drain`: `bufferedAmount` grows with each fragment, and the send
 * callbacks run when the test drains it, as a real socket's do once it has written the data.
 */
class PacedSocket extends FakeSocket {
  queuedFragments = 0
  private callbacks: Array<() => void> = []
  override send(text: string, options?: { readonly fin?: boolean }, cb?: () => void) {
    super.send(text, options)
    this.bufferedAmount += text.length
    this.queuedFragments++
    if (cb !== undefined) this.callbacks.push(cb)
  }
  drain() {
    this.bufferedAmount = 0
    for (const cb of this.callbacks.splice(0)) cb()
  }
}

const node = (id: string, label = id): RenderedNode => ({
  id,
  topology: "containers",
  label,
  labelMinor: "",
  rank: "",
  shape: "hexagon",
  status: "healthy",
  pseudo: false,
  stack: 1,
  parents: {},
  labels: {},
  metrics: {},
  members: [id]
})

const rendered = (view: string, nodes: ReadonlyArray<RenderedNode>, renderedAt = 0): RenderedView => ({
  view,
  nodes,
  edges: [],
  total: nodes.length,
  renderedAt
})

/**
 * A view source whose views are set by the test: `render` returns the current object of a view (the same one
 * until the test replaces it, as the view cache does), and calls `onRender` first.
 */
class FakeViews implements ViewSource {
  readonly current = new Map<string, RenderedView>()
  readonly rendered: Array<string> = []
  diffs = 0
  onRender: (view: string) => void = () => {}
  render(view: string, _filters: ViewFilters): RenderedView {
    this.onRender(view)
    this.rendered.push(view)
    const found = this.current.get(view)
    if (found === undefined) throw new Error(`unknown view ${view}`)
    return found
  }
  diff(previous: RenderedView, next: RenderedView): ViewDelta {
    this.diffs++
    return Diff.diff(previous, next)
  }
}

const controls = { attachPipe: () => false, detachClient: () => {}, toPipe: () => false } as unknown as ControlHub

const hubs: Array<ClientHub> = []
const makeHub = (views: ViewSource, flushIntervalMs = 5, snapshotPieceChars?: number) => {
  const flushes: Array<number> = []
  const hub = new ClientHub(views, controls, {
    ...(snapshotPieceChars !== undefined ? { snapshotPieceChars } : {}),
    flushIntervalMs,
    maxBufferedBytes: 1 << 20,
    pingIntervalMs: 60_000,
    maxClients: 10,
    onFlush: (ms) => flushes.push(ms)
  })
  hubs.push(hub)
  return { hub, flushes }
}

const subscribe = (hub: ClientHub, view: string) => {
  const socket = new FakeSocket()
  hub.attach(socket as never, false)
  socket.receive({ type: "subscribe", view })
  return socket
}

const busy = (ms: number) => {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close()
})

describe("ClientHub", () => {
  it("sends each group the delta of its view after the coalescing window, once per window", async () => {
    const views = new FakeViews()
    views.current.set("a", rendered("a", [node("x")]))
    const { hub, flushes } = makeHub(views)
    const socket = subscribe(hub, "a")
    expect(socket.sent).toEqual([{ type: "snapshot", view: rendered("a", [node("x")]) }])
    views.current.set("a", rendered("a", [node("x", "x2"), node("y")], 1))
    hub.changed()
    hub.changed()
    expect(socket.deltas()).toEqual([])
    await vi.waitFor(() => expect(flushes).toHaveLength(1))
    await sleep(20)
    expect(socket.deltas()).toEqual([
      {
        type: "delta",
        view: "a",
        renderedAt: 1,
        delta: { ...Diff.empty, add: [node("y")], update: [node("x", "x2")] }
      }
    ])
    expect(flushes).toHaveLength(1)
  })

  it("neither diffs nor sends a view the cache hands back unchanged", async () => {
    const views = new FakeViews()
    views.current.set("a", rendered("a", [node("x")]))
    views.current.set("b", rendered("b", [node("y")]))
    const { hub } = makeHub(views)
    const a = subscribe(hub, "a")
    const b = subscribe(hub, "b")
    views.current.set("b", rendered("b", [node("y"), node("z")]))
    hub.flush()
    expect(views.diffs).toBe(1)
    expect(a.deltas()).toEqual([])
    expect(b.deltas()).toEqual([
      { type: "delta", view: "b", renderedAt: 0, delta: { ...Diff.empty, add: [node("z")] } }
    ])
  })

  it("lets I/O in between groups when rendering them takes long, and flushes each group once", async () => {
    const views = new FakeViews()
    for (const view of ["a", "b", "c"]) views.current.set(view, rendered(view, [node("x")]))
    const { hub, flushes } = makeHub(views)
    for (const view of ["a", "b", "c"]) subscribe(hub, view)
    views.rendered.length = 0
    const order: Array<string> = []
    views.onRender = (view) => {
      order.push(view)
      if (view === "a") setImmediate(() => order.push("io"))
      busy(20)
    }
    hub.changed()
    await vi.waitFor(() => expect(flushes).toHaveLength(1))
    expect(order).toEqual(["a", "io", "b", "c"])
    expect(flushes).toHaveLength(1)
    expect(flushes[0]).toBeGreaterThanOrEqual(55)
  })

  it("follows a change made during a round with another round", async () => {
    const views = new FakeViews()
    for (const view of ["a", "b"]) views.current.set(view, rendered(view, [node("x")]))
    const { hub, flushes } = makeHub(views)
    const a = subscribe(hub, "a")
    subscribe(hub, "b")
    views.onRender = (view) => {
      if (view === "a") {
        // The report changes while the round is under way (between its groups), after "a" was rendered.
        setImmediate(() => {
          views.current.set("a", rendered("a", [node("x"), node("late")], 2))
          hub.changed()
        })
      }
      busy(20)
    }
    hub.changed()
    await vi.waitFor(() => expect(a.deltas()).toHaveLength(1), { timeout: 5_000 })
    views.onRender = () => {}
    await sleep(50)
    expect(flushes.length).toBeGreaterThanOrEqual(2)
    expect(a.deltas()).toEqual([
      { type: "delta", view: "a", renderedAt: 2, delta: { ...Diff.empty, add: [node("late")] } }
    ])
  })

  it("flush() finishes a round under way at once", async () => {
    const views = new FakeViews()
    for (const view of ["a", "b"]) views.current.set(view, rendered(view, [node("x")]))
    const { hub } = makeHub(views)
    const a = subscribe(hub, "a")
    const b = subscribe(hub, "b")
    views.current.set("a", rendered("a", [node("x"), node("a2")], 1))
    views.current.set("b", rendered("b", [node("x"), node("b2")], 1))
    const seen: Array<number> = []
    let first = true
    views.onRender = (view) => {
      if (view !== "a" || !first) return
      first = false
      busy(20)
      // Runs after "a" and before the round's next slice: "b" is still to come, flush() sends it now.
      setImmediate(() => {
        seen.push(b.deltas().length)
        hub.flush()
        seen.push(b.deltas().length)
      })
    }
    hub.changed()
    await vi.waitFor(() => expect(seen).toHaveLength(2))
    await sleep(20)
    expect(seen).toEqual([0, 1])
    expect(a.deltas()).toHaveLength(1)
    expect(b.deltas()).toHaveLength(1)
    expect(views.rendered.filter((v) => v === "b")).toHaveLength(2)
  })

  it("sends a snapshot as the fragments of one message, equal to the whole view, and deltas after it", async () => {
    const views = new FakeViews()
    const many = Array.from({ length: 200 }, (_, i) => node(`n${i}`))
    const view: RenderedView = {
      view: "a",
      nodes: many,
      edges: many.slice(1).map((n, i) => ({ id: `n${i}->${n.id}`, source: `n${i}`, target: n.id, connections: 1 })),
      total: many.length,
      renderedAt: 7
    }
    views.current.set("a", view)
    const { hub } = makeHub(views, 5, 256)
    const socket = subscribe(hub, "a")
    expect(socket.sent).toEqual([JSON.parse(JSON.stringify({ type: "snapshot", view }))])
    expect(socket.fragmentCounts[0]).toBeGreaterThan(10)
    views.current.set("a", { ...view, nodes: [...many, node("late")], total: many.length + 1 })
    hub.changed()
    await vi.waitFor(() => expect(socket.deltas()).toHaveLength(1))
    expect((socket.deltas()[0]!.delta as ViewDelta).add.map((n) => n.id)).toEqual(["late"])
  })

  it("streams a large snapshot as the socket drains and sends what comes meanwhile after it, in order", async () => {
    const views = new FakeViews()
    const many = Array.from({ length: 3000 }, (_, i) => node(`n${i}`, `${i} ${"x".repeat(4000)}`))
    const view = rendered("a", many)
    views.current.set("a", view)
    const { hub } = makeHub(views, 5)
    const socket = new PacedSocket()
    hub.attach(socket as never, false)
    socket.receive({ type: "subscribe", view: "a" })
    // Paused at the window (4 MiB) with the rest of the ~12 MiB snapshot not yet serialized.
    expect(socket.sent).toEqual([])
    expect(socket.bufferedAmount).toBeGreaterThanOrEqual(4 << 20)
    expect(socket.bufferedAmount).toBeLessThan(5 << 20)
    views.current.set("a", rendered("a", [...many, node("late")], 1))
    hub.changed()
    await sleep(30)
    socket.receive({ type: "ping", id: "p1" })
    expect(socket.sent).toEqual([])
    for (let i = 0; i < 10 && socket.sent.length === 0; i++) socket.drain()
    expect(socket.sent.map((m) => m.type)).toEqual(["snapshot", "delta", "pong"])
    expect(socket.sent[0]).toEqual(JSON.parse(JSON.stringify({ type: "snapshot", view })))
    expect((socket.sent[1]!.delta as ViewDelta).add.map((n) => n.id)).toEqual(["late"])
    expect(socket.fragmentCounts[0]).toBeGreaterThan(50)
  })

  it("drops a client whose backlog outgrows the send limit while its snapshot streams", async () => {
    const views = new FakeViews()
    const many = Array.from({ length: 3000 }, (_, i) => node(`n${i}`, `${i} ${"x".repeat(4000)}`))
    views.current.set("a", rendered("a", many))
    const { hub } = makeHub(views, 5)
    const socket = new PacedSocket()
    hub.attach(socket as never, false)
    socket.receive({ type: "subscribe", view: "a" })
    views.current.set("a", rendered("a", [...many, node("big", "y".repeat(1.5 * (1 << 20)))], 1))
    hub.changed()
    await vi.waitFor(() => expect(hub.droppedSlow).toBe(1))
    expect(socket.readyState).toBe(3)
    expect(hub.size).toBe(0)
    socket.drain()
    expect(socket.sent).toEqual([])
  })

  it("gets a fragmented snapshot through a real WebSocket as one message, paced by the socket", async () => {
    const views = new FakeViews()
    // ~12 MiB: more than the window the hub keeps in a socket, so the stream waits for the socket to drain.
    const many = Array.from({ length: 3000 }, (_, i) => node(`n${i}`, `node ${i} ${"x".repeat(4000 + (i % 17))}`))
    const view: RenderedView = { view: "a", nodes: many, edges: [], total: many.length, renderedAt: 1 }
    views.current.set("a", view)
    const { hub } = makeHub(views, 5, 1000)
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1" })
    server.on("connection", (socket) => hub.attach(socket, false))
    try {
      await new Promise((resolve) => server.once("listening", resolve))
      const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`)
      const message = new Promise<string>((resolve, reject) => {
        client.once("message", (data: Buffer) => resolve(data.toString("utf8")))
        client.once("error", reject)
      })
      await new Promise((resolve) => client.once("open", resolve))
      client.send(JSON.stringify({ type: "subscribe", view: "a" }))
      const text = await message
      expect(text.length).toBeGreaterThan(20_000)
      expect(text).toBe(JSON.stringify({ type: "snapshot", view }))
      client.close()
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
