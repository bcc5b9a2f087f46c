import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  createLoadBalancer,
  InvalidLbInput,
  ListenFailed,
  type LoadBalancerOptions,
  UnknownService
} from "../../../src/apps/lb/index.js"
import { eventually } from "../../cluster/helpers.js"
import { connect as connectTo, createServer, type Socket } from "node:net"
import {
  deadPort,
  flood,
  greeting,
  lbInFront,
  listenLoopback,
  send,
  stalledBackend,
  tally,
  tcpBackend,
  tcpClient,
  watchDrained
} from "./helpers.js"

const createConnection = (port: number): Socket => {
  const socket = connectTo({ host: "127.0.0.1", port })
  socket.on("error", () => {})
  return socket
}

describe("LoadBalancer, TCP mode (real loopback sockets)", () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })

  const setup = (names: ReadonlyArray<string>, options: LoadBalancerOptions = {}) =>
    lbInFront(cleanup, { name: "echo", mode: "tcp" }, tcpBackend, names, options)

  const spread = async (port: number, n: number) => {
    const names: Array<string> = []
    for (let i = 0; i < n; i++) names.push(await greeting(port))
    return tally(names)
  }

  it("spreads connections evenly by round robin, and 1:3 by weight", async () => {
    const { lb, port, backends } = await setup(["a", "b", "c"])
    expect(await spread(port, 30)).toEqual({ a: 10, b: 10, c: 10 })
    await lb.setBackends(port, [
      { id: "a", host: "127.0.0.1", port: backends[0]!.port, weight: 1 },
      { id: "b", host: "127.0.0.1", port: backends[1]!.port, weight: 3 }
    ])
    const counts = await spread(port, 80)
    expect(counts.a! / 80).toBeCloseTo(0.25, 1)
    expect(counts.b! / 80).toBeCloseTo(0.75, 1)
    expect(counts.c).toBeUndefined()
  })

  it("pipes both ways and passes a half-close on (client ends, backend still answers)", async () => {
    const { port } = await setup(["a"])
    const client = tcpClient(port)
    await client.waitFor("a\n")
    const big = "x".repeat(2 * 1024 * 1024)
    client.socket.end(`${big}END`)
    const all = await client.closed
    expect(all.length).toBe(2 + big.length + 3)
    expect(all.endsWith("xEND")).toBe(true)
  })

  it("least connections: new connections go to the backend with fewer long-held ones", async () => {
    const { lb, port } = await setup(["a", "b"])
    await lb.ensure({ servicePort: port, name: "echo", mode: "tcp", strategy: "least-connections", host: "127.0.0.1" })
    const first = [tcpClient(port), tcpClient(port), tcpClient(port)]
    const firstNames = await Promise.all(first.map(async (c) => (await c.waitFor("\n")).trim()))
    // all idle: ties rotate a, b, a
    expect(firstNames).toEqual(["a", "b", "a"])
    // a holds 2, b holds 1: the next one goes to b, then they tie again
    const second = tcpClient(port)
    expect((await second.waitFor("\n")).trim()).toBe("b")
    const held = [...first, second]
    const stats = await lb.stats()
    const active = Object.fromEntries(stats[0]!.backends.map((b) => [b.id, b.active]))
    expect(active).toEqual({ a: 2, b: 2 })
    first[0]!.socket.destroy()
    await eventually("a to hold one connection", async () =>
      (await lb.stats())[0]!.backends.find((b) => b.id === "a")!.active === 1 ? true : undefined
    )
    // a holds 1 now: new connections go to a until the counts are equal again
    const third = tcpClient(port)
    expect((await third.waitFor("\n")).trim()).toBe("a")
    held.push(third)
    for (const c of held) c.socket.destroy()
  })

  it("drains a removed backend: its open connection keeps working, new ones go elsewhere, drained() waits for it", async () => {
    const { lb, port, backends } = await setup(["a", "b"])
    const open = tcpClient(port)
    expect((await open.waitFor("\n")).trim()).toBe("a")
    await lb.setBackends(port, [{ id: "b", host: "127.0.0.1", port: backends[1]!.port }])
    expect(await spread(port, 4)).toEqual({ b: 4 })
    open.socket.write("still-here")
    await open.waitFor("still-here")
    const drain = watchDrained(lb, port, "a")
    expect(await drain.pending(100)).toBe(true)
    expect((await lb.stats())[0]!.backends.find((b) => b.id === "a")).toMatchObject({ state: "draining", active: 1 })
    open.socket.end()
    await drain.done
    expect((await lb.stats())[0]!.backends.map((b) => b.id)).toEqual(["b"])
  })

  it("remove stops listening and drains: drained() still waits for the open connection", async () => {
    const { lb, port } = await setup(["a"])
    const open = tcpClient(port)
    await open.waitFor("a\n")
    await lb.remove(port)
    expect(await tcpClient(port).closed).toBe("")
    expect(await lb.stats()).toEqual([])
    open.socket.write("after-remove")
    await open.waitFor("after-remove")
    const drain = watchDrained(lb, port, "a")
    expect(await drain.pending(50)).toBe(true)
    open.socket.end()
    await drain.done
  })

  it("cuts a draining connection after drainTimeoutMs", async () => {
    const { lb, port, backends } = await setup(["a", "b"], { drainTimeoutMs: 300 })
    const open = tcpClient(port)
    await open.waitFor("a\n")
    const started = Date.now()
    await lb.setBackends(port, [{ id: "b", host: "127.0.0.1", port: backends[1]!.port }])
    await open.closed
    await lb.drained(port, "a")
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(backends[0]!.open.size).toBe(0)
  })

  it("retries a connection refused by a dead backend on another one, and marks it down", async () => {
    const { lb, port, backends } = await setup(["b"])
    const dead = await deadPort()
    await lb.setBackends(port, [
      { id: "dead", host: "127.0.0.1", port: dead },
      { id: "b", host: "127.0.0.1", port: backends[0]!.port }
    ])
    expect(await spread(port, 10)).toEqual({ b: 10 })
    const [stats] = await lb.stats()
    expect(stats!.backends.find((b) => b.id === "dead")).toMatchObject({ state: "down", failed: 1, active: 0 })
    expect(stats).toMatchObject({ retried: 1, noBackend: 0, total: 11 })
  })

  it("gives up on a backend that does not accept within connectTimeoutMs and retries the connection elsewhere", async () => {
    const { lb, port, backends } = await setup(["b"], { connectTimeoutMs: 200 })
    const stalled = await stalledBackend()
    cleanup.push(() => stalled.close())
    await lb.setBackends(port, [
      { id: "stalled", host: "127.0.0.1", port: stalled.port },
      { id: "b", host: "127.0.0.1", port: backends[0]!.port }
    ])
    const started = Date.now()
    expect(await greeting(port)).toBe("b")
    // one sweep per listener enforces the timeout: between 1 and 1.25 times connectTimeoutMs (plus scheduling)
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    expect(Date.now() - started).toBeLessThan(2_000)
    const [stats] = await lb.stats()
    expect(stats!.backends.find((b) => b.id === "stalled")).toMatchObject({ state: "down", failed: 1, active: 0 })
    expect(stats).toMatchObject({ retried: 1, failed: 0, total: 2 })
  })

  it("a client that leaves while its backend is still connecting: once the backend accepts, both close", async () => {
    const { lb, port } = await setup([])
    const stalled = await stalledBackend()
    cleanup.push(() => stalled.close())
    await lb.setBackends(port, [{ id: "stalled", host: "127.0.0.1", port: stalled.port }])
    const client = tcpClient(port)
    await eventually("the attempt to be open", async () => ((await lb.stats())[0]!.active === 1 ? true : undefined))
    // the client is accepted paused (nothing is read before its backend is up), so its FIN is seen after that
    client.socket.end()
    stalled.resume()
    await lb.drained(port, "stalled")
    expect((await lb.stats())[0]).toMatchObject({ active: 0, total: 1, failed: 0, noBackend: 0, retried: 0 })
    expect((await lb.stats())[0]!.backends[0]).toMatchObject({ state: "up", failed: 0 })
  })

  it("an answer-and-close backend (HTTP/1.0 style), then the client closes: every byte arrives, no side sees a reset", async () => {
    const answer = "y".repeat(256 * 1024)
    const backendSaw: Array<string> = []
    const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
      socket.on("error", (error: NodeJS.ErrnoException) => backendSaw.push(error.code ?? "error"))
      socket.once("data", () => socket.end(answer))
      socket.on("end", () => backendSaw.push("end"))
      socket.on("close", () => backendSaw.push("close"))
    })
    const backendPort = await listenLoopback(server, cleanup)
    const { lb, port } = await setup([])
    await lb.setBackends(port, [{ id: "once", host: "127.0.0.1", port: backendPort }])
    for (let i = 0; i < 20; i++) {
      backendSaw.length = 0
      const client = createConnection(port)
      const clientSaw: Array<string> = []
      client.on("error", (error: NodeJS.ErrnoException) => clientSaw.push(error.code ?? "error"))
      let received = 0
      client.on("data", (chunk: Buffer) => {
        received += chunk.length
      })
      // the client closes its side once it has the whole answer, as an HTTP client does on `Connection: close`
      client.on("end", () => client.end())
      client.write("GET / HTTP/1.0\r\n\r\n")
      await new Promise((resolve) => client.once("close", resolve))
      expect(received).toBe(answer.length)
      expect(clientSaw).toEqual([])
      await eventually("the backend's clean close", () => (backendSaw.includes("close") ? true : undefined))
      expect(backendSaw).toEqual(["end", "close"])
    }
    const service = await eventually("every flow closed", async () => {
      const [stats] = await lb.stats()
      return stats?.active === 0 ? stats : undefined
    })
    expect(service).toMatchObject({ total: 20, active: 0, failed: 0 })
  })

  it("passes backpressure on: a client that does not read stops the backend, and no byte is lost", async () => {
    const total = 64 * 1024 * 1024
    const sent = { total, written: 0 }
    const server = createServer((socket: Socket) => {
      socket.on("error", () => {})
      flood(sent, socket)
    })
    const backendPort = await listenLoopback(server, cleanup)
    const { lb, port } = await setup([])
    await lb.setBackends(port, [{ id: "big", host: "127.0.0.1", port: backendPort }])
    const client = createConnection(port)
    client.pause()
    await new Promise((resolve) => setTimeout(resolve, 500))
    // only socket buffers (a few MiB each on loopback) hold what the backend wrote: it was made to wait
    expect(sent.written).toBeLessThan(total)
    let received = 0
    client.on("data", (chunk: Buffer) => {
      received += chunk.length
    })
    client.resume()
    await new Promise((resolve) => client.once("close", resolve))
    expect(received).toBe(total)
  })

  it("closes the client connection when there is no backend (none, or all refuse)", async () => {
    const { lb, port } = await setup([])
    expect(await tcpClient(port).closed).toBe("")
    await lb.setBackends(port, [{ id: "dead", host: "127.0.0.1", port: await deadPort() }])
    expect(await tcpClient(port).closed).toBe("")
    expect((await lb.stats())[0]).toMatchObject({ noBackend: 2 })
  })

  it("weight 0 takes no new connections", async () => {
    const { lb, port, backends } = await setup(["a", "b"])
    await lb.setBackends(port, [
      { id: "a", host: "127.0.0.1", port: backends[0]!.port, weight: 0 },
      { id: "b", host: "127.0.0.1", port: backends[1]!.port }
    ])
    expect(await spread(port, 5)).toEqual({ b: 5 })
  })

  it("switches a port from tcp to http in place, and reports bad input and busy ports as typed errors", async () => {
    const { lb, port } = await setup(["a"])
    await lb.ensure({ servicePort: port, name: "echo", mode: "http", strategy: "round-robin", host: "127.0.0.1" })
    const answer = await send(`http://127.0.0.1:${port}/`)
    // the backend speaks no HTTP: the proxy now parses it as HTTP and answers 502 naming it
    expect(answer.status).toBe(502)
    expect(JSON.parse(answer.body)).toMatchObject({ service: "echo", servicePort: port })
    expect(JSON.parse(answer.body).error).toContain("backend a")
    expect((await lb.stats())[0]).toMatchObject({ mode: "http", strategy: "round-robin" })
    const other = await createLoadBalancer()
    cleanup.push(() => other.close())
    const conflict = await Effect.runPromise(
      Effect.flip(
        other.service.ensure({ servicePort: port, name: "x", mode: "tcp", strategy: "round-robin", host: "127.0.0.1" })
      )
    )
    expect(conflict).toEqual(
      new ListenFailed({ servicePort: port, host: "127.0.0.1", reason: `port ${port} is already in use on 127.0.0.1` })
    )
    expect(await Effect.runPromise(Effect.flip(lb.service.setBackends(1, [])))).toEqual(
      new UnknownService({ servicePort: 1 })
    )
    expect(
      await Effect.runPromise(
        Effect.flip(
          lb.service.setBackends(port, [
            { id: "a", host: "127.0.0.1", port: 1 },
            { id: "a", host: "127.0.0.1", port: 2 }
          ])
        )
      )
    ).toEqual(new InvalidLbInput({ field: "backends[1].id", reason: '"a" appears twice' }))
    expect(
      await Effect.runPromise(
        Effect.flip(lb.service.ensure({ servicePort: port, name: "x", mode: "udp" as "tcp", strategy: "round-robin" }))
      )
    ).toEqual(new InvalidLbInput({ field: "mode", reason: 'must be "tcp" or "http", got udp' }))
  })

  it("cuts a connection idle for idleTimeoutMs, keeps one that talks, and counts the cut", async () => {
    const { lb, port } = await setup(["a"], { idleTimeoutMs: 1_000 })
    const quiet = tcpClient(port)
    const talking = tcpClient(port)
    await Promise.all([quiet.waitFor("a\n"), talking.waitFor("a\n")])
    const started = Date.now()
    // the talking one sends every 300 ms (echoed back); the quiet one sends nothing
    let n = 0
    const ticker = setInterval(() => talking.socket.write(`t${n++}\n`), 300)
    try {
      await quiet.closed
      const after = Date.now() - started
      // cut between the timeout and the timeout plus one sweep period (250 ms here), with some slack
      expect(after).toBeGreaterThanOrEqual(900)
      expect(after).toBeLessThan(2_500)
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      expect(talking.socket.destroyed).toBe(false)
      await talking.waitFor(`t${n - 1}\n`)
    } finally {
      clearInterval(ticker)
      talking.socket.destroy()
    }
    const stats = (await lb.stats())[0]!
    expect(stats.idleTimeouts).toBe(1)
    expect(await lb.metrics()).toMatch(
      new RegExp(`_service_idle_timeouts_total\\{service="echo",port="${port}",mode="tcp"\\} 1`)
    )
  })

  it("closes clients over maxConnections at once and counts them; the others keep working", async () => {
    const { lb, port } = await setup(["a"], { maxConnections: 2 })
    const held = [tcpClient(port), tcpClient(port)]
    await Promise.all(held.map((c) => c.waitFor("a\n")))
    const third = tcpClient(port)
    expect(await third.closed).toBe("")
    const stats = (await lb.stats())[0]!
    expect(stats).toMatchObject({ overLimit: 1, failed: 1 })
    held[0]!.socket.write("still\n")
    await held[0]!.waitFor("still\n")
    for (const c of held) c.socket.destroy()
    await eventually("the connections closed", async () => ((await lb.stats())[0]!.active === 0 ? true : undefined))
    expect(await greeting(port)).toBe("a")
  })
})
