import { afterEach, describe, expect, it } from "@effect/vitest"
import { createServer, type IncomingMessage, request } from "node:http"
import { createServer as createNetServer, type Socket } from "node:net"
import type { LoadBalancerOptions, RunningLoadBalancer } from "../../../src/apps/lb/index.js"
import { eventually } from "../../cluster/helpers.js"
import {
  deadPort,
  flood,
  type HttpTestBackend,
  httpBackend,
  keepAlive,
  lbInFront,
  listenLoopback,
  readAfterStall,
  send,
  tcpClient,
  watchDrained
} from "./helpers.js"

type Kind = "keep-alive" | "closing"

/** The upstream HTTP mode is expected to settle on for a backend of each kind. */
const upstreamOf = { "keep-alive": "undici", closing: "node" } as const

const upstreams = async (lb: RunningLoadBalancer): Promise<Record<string, string | undefined>> =>
  Object.fromEntries((await lb.stats())[0]!.backends.map((b) => [b.id, b.upstream]))

/** Resolves with the status code and whether the answer's body was cut (or the request failed). */
const cutOrComplete = (url: string): Promise<{ readonly status: number; readonly cut: boolean }> =>
  new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.on("data", () => {})
      res.on("end", () => resolve({ status: res.statusCode ?? 0, cut: !res.complete }))
      res.on("error", () => resolve({ status: res.statusCode ?? 0, cut: true }))
    })
    req.on("error", () => resolve({ status: 0, cut: true }))
    req.end()
  })

describe("LoadBalancer, HTTP mode upstreams: undici for keep-alive backends, node:http for closing ones", () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })

  const setup = async (kind: Kind, names: ReadonlyArray<string>, options: LoadBalancerOptions = {}) => {
    const start = (name: string) => httpBackend(name, kind === "closing")
    const { lb, port, backends } = await lbInFront(cleanup, { name: "web", mode: "http" }, start, names, options)
    const agent = keepAlive()
    cleanup.push(async () => agent.destroy())
    const url = `http://127.0.0.1:${port}`
    // one answer from each backend shows its keep-alive behaviour (round robin visits each once)
    for (let i = 0; i < names.length; i++) expect((await send(`${url}/`, { agent })).status).toBe(200)
    expect(await upstreams(lb)).toEqual(Object.fromEntries(names.map((n) => [n, upstreamOf[kind]])))
    return { lb, url, port, backends: backends as Array<HttpTestBackend>, agent }
  }

  it("serves a keep-alive backend over undici, reusing its connections", async () => {
    const { lb, url, backends, agent } = await setup("keep-alive", ["a"])
    for (let i = 0; i < 50; i++) expect((await send(`${url}/`, { agent })).body).toBe("a")
    for (let i = 0; i < 5; i++) expect((await send(`${url}/`, { method: "HEAD", agent })).status).toBe(200)
    await Promise.all(Array.from({ length: 20 }, () => send(`${url}/`)))
    // 76 requests, at most 20 at once: connections were kept and reused (after HEAD too)
    expect(backends[0]!.hits).toBe(76)
    expect(backends[0]!.connections).toBeLessThanOrEqual(20)
    expect((await lb.stats())[0]!.backends[0]).toMatchObject({ upstream: "undici", total: 76, failed: 0 })
    expect(await lb.metrics()).toMatch(
      /orchestrator_lb_backend_upstream_undici\{service="web",port="\d+",backend="a",address="127.0.0.1:\d+"\} 1/
    )
  })

  it("passes `OPTIONS *` (which undici does not take) over node:http", async () => {
    const { port, backends } = await setup("keep-alive", ["a"])
    const client = tcpClient(port)
    client.socket.write("OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    expect(await client.closed).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(backends[0]!.hits).toBe(2)
  })

  it("a backend removed and added back while a request is in flight: both it and new requests complete", async () => {
    const { lb, url, port, backends } = await setup("keep-alive", ["a"])
    const inFlight = send(`${url}/hold`)
    await eventually("the held request to reach a", () => (backends[0]!.hits === 2 ? true : undefined))
    await lb.setBackends(port, [])
    await lb.setBackends(port, [{ id: "a", host: "127.0.0.1", port: backends[0]!.port }])
    const next = await send(`${url}/`)
    expect(next).toMatchObject({ status: 200, body: "a" })
    backends[0]!.release()
    expect(await inFlight).toMatchObject({ status: 200, body: "a" })
    expect((await lb.stats())[0]).toMatchObject({ total: 3, failed: 0, active: 0 })
  })

  it("moves a backend that starts closing its connections to node:http and back, without a failed request", async () => {
    const { lb, url, backends } = await setup("keep-alive", ["a"])
    const burst = async () => {
      const answers = await Promise.all(Array.from({ length: 30 }, () => send(`${url}/`)))
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200))
    }
    backends[0]!.closing = true
    await burst()
    expect(await upstreams(lb)).toEqual({ a: "node" })
    expect(await lb.metrics()).toMatch(/orchestrator_lb_backend_upstream_undici\{[^}]*backend="a"[^}]*\} 0/)
    backends[0]!.closing = false
    await burst()
    expect(await upstreams(lb)).toEqual({ a: "undici" })
    const [stats] = await lb.stats()
    expect(stats).toMatchObject({ total: 61, failed: 0, retried: 0 })
  })

  it("moves an HTTP/1.0 backend without keep-alive (no Connection header) to node:http", async () => {
    const server = createNetServer((socket: Socket) => {
      socket.on("error", () => {})
      socket.once("data", () => socket.end("HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nold"))
    })
    const backendPort = await listenLoopback(server, cleanup)
    const { lb, url, port } = await setup("keep-alive", [])
    await lb.setBackends(port, [{ id: "old", host: "127.0.0.1", port: backendPort }])
    for (let i = 0; i < 3; i++) expect(await send(`${url}/`)).toMatchObject({ status: 200, body: "old" })
    await eventually("the backend to be on node:http", async () =>
      (await upstreams(lb)).old === "node" ? true : undefined
    )
    for (let i = 0; i < 3; i++) expect(await send(`${url}/`)).toMatchObject({ status: 200, body: "old" })
    expect(await upstreams(lb)).toEqual({ old: "node" })
    expect((await lb.stats())[0]).toMatchObject({ total: 6, failed: 0 })
  })

  describe.each(["keep-alive", "closing"] as const)("with a %s backend", (kind) => {
    it("drops hop-by-hop and Connection-listed headers, adds X-Forwarded-*", async () => {
      const { url, agent } = await setup(kind, ["a"])
      const answer = await send(`${url}/headers`, { agent, headers: { "x-custom": "kept", te: "trailers" } })
      expect(JSON.parse(answer.body)).toMatchObject({ "x-forwarded-for": "127.0.0.1", "x-custom": "kept" })
      expect(JSON.parse(answer.body).te).toBeUndefined()
      expect(answer.headers["x-private"]).toBeUndefined()
    })

    it("streams large bodies both ways and counts their bytes", async () => {
      const { lb, url, agent } = await setup(kind, ["a"])
      const body = Buffer.alloc(8 * 1024 * 1024, "z")
      const answer = await send(`${url}/echo`, { method: "POST", body, agent })
      expect(answer.status).toBe(200)
      expect(answer.body.length).toBe(body.length)
      const chunked = await new Promise<string>((resolve, reject) => {
        const req = request(`${url}/echo`, { method: "PUT", agent: false }, (res) => {
          let text = ""
          res.on("data", (c: Buffer) => {
            text += c.toString()
          })
          res.on("end", () => resolve(text))
        })
        req.on("error", reject)
        req.write("one,")
        setTimeout(() => req.end("two"), 20)
      })
      expect(chunked).toBe("one,two")
      const [stats] = await lb.stats()
      expect(stats).toMatchObject({ total: 3, failed: 0, active: 0 })
      // the warm-up GET answered "a"
      expect(stats!.bytesIn).toBe(body.length + 7)
      expect(stats!.bytesOut).toBe(body.length + 7 + 1)
    })

    it("passes backpressure on: a client that does not read stops the backend, no byte is lost", async () => {
      const total = 32 * 1024 * 1024
      const sent = { total, written: 0 }
      const server = createServer((req, res) => {
        if (kind === "closing") res.setHeader("connection", "close")
        if (req.url !== "/big") {
          res.end("x")
          return
        }
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total })
        flood(sent, res)
      })
      const backendPort = await listenLoopback(server, cleanup)
      const { lb, url, port } = await setup(kind, [])
      await lb.setBackends(port, [{ id: "big", host: "127.0.0.1", port: backendPort }])
      await send(`${url}/`)
      expect(await upstreams(lb)).toEqual({ big: upstreamOf[kind] })
      const answer = await new Promise<IncomingMessage>((resolve, reject) =>
        request(`${url}/big`, { agent: false }, resolve).on("error", reject).end()
      )
      // only socket buffers hold what the backend wrote while the client did not read: it was made to wait
      const received = await readAfterStall(answer, 400, () => expect(sent.written).toBeLessThan(total))
      expect(received).toBe(total)
      expect((await lb.stats())[0]).toMatchObject({ bytesOut: total + 1, failed: 0 })
    })

    it("answers 504 on a silent backend and cuts an answer that stalls after its head", async () => {
      const { lb, url } = await setup(kind, ["a"], { requestTimeoutMs: 200 })
      const silent = await send(`${url}/never`)
      expect(silent.status).toBe(504)
      expect(JSON.parse(silent.body).error).toContain("did not answer within 200 ms")
      expect(await cutOrComplete(`${url}/stall`)).toEqual({ status: 200, cut: true })
      expect((await lb.stats())[0]).toMatchObject({ failed: 2, retried: 0, active: 0 })
    })

    it("retries a backend that died on another one and marks it down; 502 when none is left", async () => {
      const { lb, url, port, backends, agent } = await setup(kind, ["a", "b"])
      await backends[0]!.close()
      const answers = []
      for (let i = 0; i < 4; i++) answers.push(await send(`${url}/`, { agent }))
      answers.push(await send(`${url}/echo`, { method: "POST", body: "payload", agent }))
      expect(answers.map((a) => [a.status, a.body])).toEqual([
        [200, "b"],
        [200, "b"],
        [200, "b"],
        [200, "b"],
        [200, "payload"]
      ])
      const [stats] = await lb.stats()
      expect(stats!.backends.find((b) => b.id === "a")).toMatchObject({ state: "down", upstream: upstreamOf[kind] })
      expect(stats).toMatchObject({ failed: 0, noBackend: 0 })
      expect(stats!.retried).toBeGreaterThanOrEqual(1)
      await lb.setBackends(port, [{ id: "dead", host: "127.0.0.1", port: await deadPort() }])
      const failed = await send(`${url}/`)
      expect(failed.status).toBe(502)
      expect(JSON.parse(failed.body).error).toContain("dead")
    })

    it("answers 502 (not a cut) when the backend dies while a POST body is being sent, and does not retry it", async () => {
      const server = createServer((req, res) => {
        if (kind === "closing") res.setHeader("connection", "close")
        if (req.url === "/die") {
          req.once("data", () => req.socket.destroy())
          return
        }
        req.resume()
        res.end("ok")
      })
      const backendPort = await listenLoopback(server, cleanup)
      const { lb, url, port } = await setup(kind, [])
      await lb.setBackends(port, [{ id: "dies", host: "127.0.0.1", port: backendPort }])
      await send(`${url}/`)
      expect(await upstreams(lb)).toEqual({ dies: upstreamOf[kind] })
      const status = await new Promise<number>((resolve) => {
        const req = request(`${url}/die`, { method: "POST", agent: false }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on("error", () => resolve(0))
        req.end(Buffer.alloc(4 * 1024 * 1024, "u"))
      })
      expect(status).toBe(502)
      expect((await lb.stats())[0]).toMatchObject({ failed: 1, retried: 0, total: 2, active: 0 })
    })

    it("cancels the upstream request when its client leaves", async () => {
      const { lb, url, port, backends } = await setup(kind, ["a"])
      const req = request(`${url}/hold`, { agent: false })
      req.on("error", () => {})
      req.end()
      await eventually("the held request to reach a", () => (backends[0]!.hits === 2 ? true : undefined))
      req.destroy()
      await lb.drained(port, "a")
      await eventually("the backend's connection to close", () => (backends[0]!.open.size === 0 ? true : undefined))
      expect((await lb.stats())[0]).toMatchObject({ active: 0, total: 2 })
    })

    it("drains: the in-flight request completes, idle connections close, drained() resolves", async () => {
      const { lb, url, port, backends, agent } = await setup(kind, ["a", "b"])
      for (let i = 0; i < 6; i++) await send(`${url}/`, { agent })
      const inFlight = send(`${url}/hold`)
      await eventually("the held request to reach a backend", () =>
        backends[0]!.hits + backends[1]!.hits === 9 ? true : undefined
      )
      const holder = backends[0]!.hits === 5 ? 0 : 1
      const other = backends[1 - holder]!
      await lb.setBackends(port, [{ id: other.name, host: "127.0.0.1", port: other.port }])
      const drain = watchDrained(lb, port, backends[holder]!.name)
      expect(await drain.pending(50)).toBe(true)
      backends[holder]!.release()
      expect(await inFlight).toMatchObject({ status: 200, body: backends[holder]!.name })
      await drain.done
      await eventually(
        "the drained backend's connections to close",
        () => (backends[holder]!.open.size === 0 ? true : undefined),
        1_000
      )
    })

    it("closes every backend connection when the load balancer closes", async () => {
      const { lb, url, backends } = await setup(kind, ["a"])
      await Promise.all(Array.from({ length: 10 }, () => send(`${url}/`)))
      await lb.close()
      // at once, not after a keep-alive timeout (4-5 s)
      await eventually(
        "the backend connections to close",
        () => (backends[0]!.open.size === 0 ? true : undefined),
        1_000
      )
    })

    it("leaves no connection open to the backends of a removed service", async () => {
      const { lb, url, port, backends } = await setup(kind, ["a", "b"])
      await Promise.all(Array.from({ length: 20 }, () => send(`${url}/`)))
      await lb.remove(port)
      await lb.drained(port, "a")
      await lb.drained(port, "b")
      await eventually(
        "every backend connection to close",
        () => (backends.every((b) => b.open.size === 0) ? true : undefined),
        1_000
      )
    })
  })
})
