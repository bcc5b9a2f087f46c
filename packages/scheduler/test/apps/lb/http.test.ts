import { afterEach, describe, expect, it } from "@effect/vitest"
import type { LoadBalancerOptions } from "../../../src/apps/lb/index.js"
import { eventually } from "../../cluster/helpers.js"
import { createServer, type IncomingMessage, request } from "node:http"
import {
  deadPort,
  flood,
  httpBackend,
  keepAlive,
  lbInFront,
  listenLoopback,
  send,
  stalledBackend,
  tally,
  tcpClient,
  upgradeTo,
  watchDrained
} from "./helpers.js"

describe("LoadBalancer, HTTP mode (real loopback servers)", () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })

  const setup = async (names: ReadonlyArray<string>, options: LoadBalancerOptions = {}) => {
    const { lb, port, backends } = await lbInFront(cleanup, { name: "web", mode: "http" }, httpBackend, names, options)
    const agent = keepAlive()
    cleanup.push(async () => agent.destroy())
    return { lb, url: `http://127.0.0.1:${port}`, port, backends, agent }
  }

  it("balances every request of one keep-alive client connection (round robin, then 1:3)", async () => {
    const { lb, url, port, backends, agent } = await setup(["a", "b"])
    const names: Array<string> = []
    for (let i = 0; i < 20; i++) names.push((await send(`${url}/`, { agent })).body)
    expect(tally(names)).toEqual({ a: 10, b: 10 })
    await lb.setBackends(port, [
      { id: "a", host: "127.0.0.1", port: backends[0]!.port, weight: 1 },
      { id: "b", host: "127.0.0.1", port: backends[1]!.port, weight: 3 }
    ])
    const weighted: Array<string> = []
    for (let i = 0; i < 40; i++) weighted.push((await send(`${url}/`, { agent })).body)
    expect(tally(weighted)).toEqual({ a: 10, b: 30 })
    // the backends saw pooled connections, not one per request
    expect(backends[0]!.open.size + backends[1]!.open.size).toBeLessThanOrEqual(4)
  })

  it("adds X-Forwarded-For/Proto/Host and drops hop-by-hop headers both ways", async () => {
    const { url, agent } = await setup(["a"])
    const answer = await send(`${url}/headers`, {
      agent,
      headers: { "x-forwarded-for": "10.1.1.1", "x-custom": "kept", "proxy-authorization": "secret", te: "trailers" }
    })
    const seen = JSON.parse(answer.body)
    expect(seen).toMatchObject({
      "x-forwarded-for": "10.1.1.1, 127.0.0.1",
      "x-forwarded-proto": "http",
      "x-forwarded-host": url.slice("http://".length),
      "x-custom": "kept"
    })
    expect(seen["proxy-authorization"]).toBeUndefined()
    expect(seen.te).toBeUndefined()
    // the backend's `Connection: keep-alive, x-private` names x-private as hop-by-hop
    expect(answer.headers["x-private"]).toBeUndefined()
    expect(answer.headers["content-type"]).toBe("application/json")
  })

  it("keeps repeated headers both ways and a client's own X-Forwarded-Proto/Host", async () => {
    const { url } = await setup(["a"])
    const raw = await new Promise<{ lines: Array<string>; cookies: ReadonlyArray<string> | undefined }>(
      (resolve, reject) => {
        const req = request(`${url}/raw`, { agent: false }, (res) => {
          let text = ""
          res.on("data", (c: Buffer) => {
            text += c.toString()
          })
          res.on("end", () => resolve({ lines: JSON.parse(text), cookies: res.headers["set-cookie"] }))
        })
        req.on("error", reject)
        req.setHeader("x-multi", ["one", "two"])
        req.setHeader("x-forwarded-proto", "https")
        req.setHeader("x-forwarded-host", "example.org")
        req.end()
      }
    )
    const pairs: Array<[string, string]> = []
    for (let i = 0; i < raw.lines.length; i += 2) pairs.push([raw.lines[i]!.toLowerCase(), raw.lines[i + 1]!])
    expect(pairs.filter(([k]) => k === "x-multi")).toEqual([
      ["x-multi", "one"],
      ["x-multi", "two"]
    ])
    expect(pairs.filter(([k]) => k.startsWith("x-forwarded-"))).toEqual([
      ["x-forwarded-for", "127.0.0.1"],
      ["x-forwarded-proto", "https"],
      ["x-forwarded-host", "example.org"]
    ])
    expect(raw.cookies).toEqual(["a=1", "b=2"])
  })

  it("answers pipelined requests of one connection in order, each balanced on its own", async () => {
    const { port } = await setup(["a", "b"])
    const client = tcpClient(port)
    client.socket.write(
      "GET / HTTP/1.1\r\nhost: x\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    const text = await client.closed
    // each answer is chunked: head, blank line, "1", the body, "0"
    const bodies = text
      .split("HTTP/1.1 200 OK")
      .slice(1)
      .map((answer) => answer.slice(answer.indexOf("\r\n\r\n") + 4).split("\r\n")[1])
    expect(bodies).toEqual(["a", "b", "a"])
  })

  it("streams large bodies both ways (8 MiB echo, chunked upload)", async () => {
    const { url, agent, lb } = await setup(["a"])
    const body = Buffer.alloc(8 * 1024 * 1024, "z")
    const answer = await send(`${url}/echo`, { method: "POST", body, agent })
    expect(answer.status).toBe(200)
    expect(answer.body.length).toBe(body.length)
    const [stats] = await lb.stats()
    expect(stats).toMatchObject({ total: 1, failed: 0, active: 0 })
    expect(stats!.bytesIn).toBe(body.length)
    expect(stats!.bytesOut).toBe(body.length)
  })

  it("passes backpressure on: a client that does not read a large answer stops the backend, no byte is lost", async () => {
    const total = 64 * 1024 * 1024
    const sent = { total, written: 0 }
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total })
      flood(sent, res)
    })
    const backendPort = await listenLoopback(server, cleanup)
    const { lb, url, port } = await setup([])
    await lb.setBackends(port, [{ id: "big", host: "127.0.0.1", port: backendPort }])
    const answer = await new Promise<IncomingMessage>((resolve, reject) =>
      request(`${url}/`, { agent: false }, resolve).on("error", reject).end()
    )
    answer.pause()
    await new Promise((resolve) => setTimeout(resolve, 500))
    // only socket buffers (a few MiB each on loopback) hold what the backend wrote: it was made to wait
    expect(sent.written).toBeLessThan(total)
    let received = 0
    answer.on("data", (chunk: Buffer) => {
      received += chunk.length
    })
    answer.resume()
    await new Promise((resolve) => answer.once("end", resolve))
    expect(received).toBe(total)
    expect((await lb.stats())[0]).toMatchObject({ bytesOut: total, failed: 0 })
  })

  it("answers 502 with a JSON body when there is no backend", async () => {
    const { url, lb, port } = await setup([])
    const answer = await send(`${url}/`)
    expect(answer.status).toBe(502)
    expect(answer.headers["content-type"]).toBe("application/json")
    expect(JSON.parse(answer.body)).toEqual({
      error: `no backend available for web (service port ${port})`,
      service: "web",
      servicePort: port
    })
    expect((await lb.stats())[0]).toMatchObject({ noBackend: 1, failed: 1 })
  })

  it("answers 504 when the backend does not answer in time", async () => {
    const { url } = await setup(["a"], { requestTimeoutMs: 200 })
    const answer = await send(`${url}/never`)
    expect(answer.status).toBe(504)
    expect(JSON.parse(answer.body).error).toContain("did not answer within 200 ms")
  })

  it("a dead backend costs no failed request: GETs and POSTs are retried on another backend", async () => {
    const { lb, url, port, backends, agent } = await setup(["b"])
    await lb.setBackends(port, [
      { id: "dead", host: "127.0.0.1", port: await deadPort() },
      { id: "b", host: "127.0.0.1", port: backends[0]!.port }
    ])
    const answers = [
      await send(`${url}/`, { agent }),
      await send(`${url}/echo`, { method: "POST", body: "payload", agent }),
      await send(`${url}/`, { agent })
    ]
    expect(answers.map((a) => [a.status, a.body])).toEqual([
      [200, "b"],
      [200, "payload"],
      [200, "b"]
    ])
    const [stats] = await lb.stats()
    expect(stats!.backends.find((b) => b.id === "dead")).toMatchObject({ state: "down", failed: 1 })
    expect(stats).toMatchObject({ retried: 1, noBackend: 0 })
  })

  it("a backend killed between requests costs no failed request either (stale keep-alive sockets)", async () => {
    const { lb, url, port, backends, agent } = await setup(["a", "b"])
    for (let i = 0; i < 4; i++) expect((await send(`${url}/`, { agent })).status).toBe(200)
    await backends[0]!.close()
    const statuses: Array<number> = []
    for (let i = 0; i < 10; i++) statuses.push((await send(`${url}/`, { agent })).status)
    expect(statuses).toEqual(Array(10).fill(200))
    expect((await lb.stats())[0]!.backends.find((b) => b.id === "a")!.state).toBe("down")
    void port
  })

  it("drains: a request in flight to a removed backend completes, new ones go elsewhere, drained() waits", async () => {
    const { lb, url, port, backends } = await setup(["a", "b"])
    const inFlight = send(`${url}/hold`)
    await eventually("the held request to reach a", () => (backends[0]!.hits === 1 ? true : undefined))
    await lb.setBackends(port, [{ id: "b", host: "127.0.0.1", port: backends[1]!.port }])
    const names: Array<string> = []
    for (let i = 0; i < 4; i++) names.push((await send(`${url}/`)).body)
    expect(names).toEqual(["b", "b", "b", "b"])
    const drain = watchDrained(lb, port, "a")
    expect(await drain.pending(50)).toBe(true)
    backends[0]!.release()
    expect(await inFlight).toMatchObject({ status: 200, body: "a" })
    await drain.done
    // its keep-alive socket was closed once idle
    await eventually("a's pooled socket to close", () => (backends[0]!.open.size === 0 ? true : undefined))
  })

  it("passes Upgrade (WebSocket) connections through, retrying a refused backend", async () => {
    const { lb, url, port, backends } = await setup(["a"])
    await lb.setBackends(port, [
      { id: "dead", host: "127.0.0.1", port: await deadPort() },
      { id: "a", host: "127.0.0.1", port: backends[0]!.port }
    ])
    const { headers, socket } = await upgradeTo(`${url}/ws`)
    expect(headers).toMatchObject({ upgrade: "echo", "x-backend": "a", "x-seen-for": "127.0.0.1" })
    const echoed = new Promise<string>((resolve) => socket.once("data", (chunk: Buffer) => resolve(chunk.toString())))
    socket.write("ping")
    expect(await echoed).toBe("ping")
    expect((await lb.stats())[0]!.backends.find((b) => b.id === "a")).toMatchObject({ active: 1 })
    socket.destroy()
    await lb.drained(port, "a")
  })

  it("an Upgrade client that leaves before its backend accepts leaves nothing open", async () => {
    const { lb, url, port } = await setup([])
    const stalled = await stalledBackend()
    cleanup.push(() => stalled.close())
    await lb.setBackends(port, [{ id: "stalled", host: "127.0.0.1", port: stalled.port }])
    const req = request(`${url}/ws`, { headers: { connection: "Upgrade", upgrade: "echo" }, agent: false })
    req.on("error", () => {})
    req.end()
    await eventually("the upgrade to be open", async () => ((await lb.stats())[0]!.active === 1 ? true : undefined))
    req.destroy()
    stalled.resume()
    await lb.drained(port, "stalled")
    expect((await lb.stats())[0]).toMatchObject({ active: 0, total: 1 })
  })

  it("exports per-service and per-backend Prometheus metrics", async () => {
    const { lb, url, agent } = await setup(["a", "b"])
    for (let i = 0; i < 4; i++) await send(`${url}/`, { agent })
    const text = await lb.metrics()
    expect(text).toContain("# TYPE orchestrator_lb_service_requests_total counter")
    expect(text).toMatch(/orchestrator_lb_service_requests_total\{service="web",port="\d+",mode="http"\} 4/)
    expect(text).toMatch(
      /orchestrator_lb_backend_requests_total\{service="web",port="\d+",backend="a",address="127.0.0.1:\d+"\} 2/
    )
    expect(text).toMatch(/orchestrator_lb_backend_up\{service="web",port="\d+",backend="b",address="127.0.0.1:\d+"\} 1/)
  })
})
