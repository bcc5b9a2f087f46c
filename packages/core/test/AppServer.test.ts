import { gzipSync } from "node:zlib"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type App, createApp } from "../src/App.js"
import * as Responses from "../src/internal/server/routes/responses.js"
import { latestFields, makeNode } from "../src/Report.js"
import { get, post, publish, rawExchange, TestSocket } from "./appHelpers.js"
import { container, deltaReport, fullReport } from "./reports.js"

const register = (app: App, agentId: string, extra: Record<string, unknown> = {}) =>
  post(`${app.url}/api/v1/agents/register`, { agentId, hostname: `${agentId}-host`, version: "test", ...extra })

describe("AppServer", () => {
  let app: App
  beforeAll(async () => {
    app = await createApp({
      port: 0,
      deltaIntervalMs: 10,
      maxBodyBytes: 64 * 1024,
      bodyTimeoutMs: 500,
      headersTimeoutMs: 400
    })
  })
  afterAll(() => app.close())

  describe("agents", () => {
    it("registers, heartbeats, serves and changes config, lists agents", async () => {
      const reg = await register(app, "agent-a")
      expect(reg.status).toBe(200)
      expect(reg.body).toEqual({
        agentId: "agent-a",
        config: { configVersion: 1, intervalMs: 15_000, fullReportEvery: 10, collectors: {}, controlsEnabled: true }
      })
      expect((await post(`${app.url}/api/v1/agents/heartbeat/agent-a`, {})).body).toEqual({
        ok: true,
        configVersion: 1,
        expectedSeq: null
      })
      const put = await fetch(`${app.url}/api/v1/agents/config/agent-a`, {
        method: "PUT",
        body: JSON.stringify({ intervalMs: 5_000, collectors: { docker: { enabled: false } } })
      })
      expect(put.status).toBe(200)
      expect(await get(`${app.url}/api/v1/agents/config/agent-a`)).toEqual({
        status: 200,
        body: {
          configVersion: 2,
          intervalMs: 5_000,
          fullReportEvery: 10,
          collectors: { docker: { enabled: false } },
          controlsEnabled: true
        }
      })
      const list = await get(`${app.url}/api/v1/agents/list`)
      expect((list.body.agents as Array<{ agentId: string }>).map((a) => a.agentId)).toContain("agent-a")
    })

    it("starts a new agent's config from the probe's own settings", async () => {
      const reg = await register(app, "agent-flags", { config: { intervalMs: 2_000, controlsEnabled: false } })
      expect(reg.body.config).toEqual({
        configVersion: 1,
        intervalMs: 2_000,
        fullReportEvery: 10,
        collectors: {},
        controlsEnabled: false
      })
    })

    it("answers 404 with a hint for unknown agent ids", async () => {
      expect(await post(`${app.url}/api/v1/agents/heartbeat/nobody`, {})).toMatchObject({
        status: 404,
        body: {
          error: {
            code: "unknown_agent",
            message: 'unknown agent "nobody": register first with POST /api/v1/agents/register'
          }
        }
      })
      expect((await get(`${app.url}/api/v1/agents/config/nobody`)).status).toBe(404)
      expect((await publish(app.url, fullReport("nobody", 0, []))).status).toBe(404)
    })

    it("rejects a registration that breaks the schema, naming the field", async () => {
      expect(await post(`${app.url}/api/v1/agents/register`, { hostname: 7, version: "x" })).toMatchObject({
        status: 422,
        body: { error: { code: "invalid_body", message: 'Expected string at ["hostname"]' } }
      })
    })
  })

  describe("reports", () => {
    it("accepts JSON and gzip reports, applies deltas and asks for a resync on a gap", async () => {
      await register(app, "p1")
      expect(
        (await publish(app.url, fullReport("p1", 0, [container("c1", "web"), container("c2", "db")]))).body
      ).toEqual({ status: "accepted", seq: 0, expectedSeq: 1 })
      const gz = await fetch(`${app.url}/api/v1/reports`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: gzipSync(
          JSON.stringify(deltaReport("p1", 1, [container("c3", "cache")], [{ topology: "containers", id: "c2" }]))
        )
      })
      expect(gz.status).toBe(200)
      expect(
        app.aggregator
          .topology("containers")
          .nodes.map((n) => n.label)
          .sort()
      ).toEqual(["cache", "web"])
      expect(await publish(app.url, deltaReport("p1", 5, [container("c9", "late")]))).toMatchObject({
        status: 409,
        body: { status: "resync", expectedSeq: 2, reason: "delta seq 5 does not follow 1; send a full report" }
      })
      expect((await publish(app.url, deltaReport("p1", 1, []))).body).toEqual({
        status: "duplicate",
        seq: 1,
        expectedSeq: 2
      })
      expect(
        app.aggregator
          .topology("containers")
          .nodes.map((n) => n.label)
          .sort()
      ).toEqual(["cache", "web"])
      expect((await post(`${app.url}/api/v1/agents/heartbeat/p1`, {})).body).toEqual({
        ok: true,
        configVersion: 1,
        expectedSeq: 2
      })
    })

    it("answers malformed JSON, schema violations, bad gzip and big bodies with 4xx and keeps earlier data", async () => {
      await register(app, "p2")
      await publish(app.url, fullReport("p2", 0, [container("k1", "kept")]))
      expect(await post(`${app.url}/api/v1/reports`, "{not json")).toMatchObject({
        status: 400,
        body: { error: { code: "malformed_json" } }
      })
      const broken = { ...fullReport("p2", 1, []), topologies: { containers: { nodes: { x: { id: "x" } } } } }
      expect(await post(`${app.url}/api/v1/reports`, broken)).toMatchObject({
        status: 422,
        body: {
          error: {
            code: "invalid_body",
            message: 'Missing key at ["topologies"]["containers"]["nodes"]["x"]["topology"]'
          }
        }
      })
      const misplaced = {
        ...fullReport("p2", 1, []),
        topologies: { containers: { nodes: { k3: container("k2", "x") } } }
      }
      expect(await post(`${app.url}/api/v1/reports`, misplaced)).toMatchObject({
        status: 422,
        body: {
          error: {
            code: "invalid_body",
            message: 'node id "k2" differs from its key at ["topologies"]["containers"]["nodes"]["k3"]'
          }
        }
      })
      const badGzip = await fetch(`${app.url}/api/v1/reports`, {
        method: "POST",
        headers: { "content-encoding": "gzip" },
        body: "definitely not gzip"
      })
      expect(badGzip.status).toBe(400)
      expect(await post(`${app.url}/api/v1/reports`, "x".repeat(70 * 1024))).toMatchObject({
        status: 413,
        body: { error: { code: "body_too_large", details: { limit: 65536 } } }
      })
      const bomb = gzipSync(Buffer.alloc(1024 * 1024, 32))
      const bombed = await fetch(`${app.url}/api/v1/reports`, {
        method: "POST",
        headers: { "content-encoding": "gzip" },
        body: bomb
      })
      expect(bombed.status).toBe(413)
      expect(app.aggregator.topology("containers").nodes.map((n) => n.label)).toContain("kept")
    })

    it("cuts off slow uploads and slow headers", async () => {
      const slowBody = await rawExchange(
        app.port,
        "POST /api/v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{",
        1_500
      )
      expect(slowBody.text).toContain("408")
      const slowHeaders = await rawExchange(app.port, "GET /health HTTP/1.1\r\nhost: x\r\n", 2_000)
      expect(slowHeaders.closed).toBe(true)
      expect((await get(`${app.url}/health`)).status).toBe(200)
    })
  })

  describe("queries", () => {
    it("lists views with counts, renders with filters, explains bad input", async () => {
      await register(app, "p3")
      await publish(
        app.url,
        fullReport("p3", 0, [container("s1", "stopped-one", "exited"), container("r1", "running-one", "running")])
      )
      const views = (await get(`${app.url}/api/v1/query/views`)).body.views as Array<{ id: string; count: number }>
      expect(views.find((v) => v.id === "containers")?.count).toBeGreaterThanOrEqual(2)
      const running = await get(`${app.url}/api/v1/query/topology?view=containers&status=stopped`)
      expect((running.body.nodes as Array<{ label: string }>).map((n) => n.label)).toEqual(["stopped-one"])
      expect(await get(`${app.url}/api/v1/query/topology?view=containers&status=sideways`)).toMatchObject({
        status: 400,
        body: { error: { code: "bad_query" } }
      })
      expect(await get(`${app.url}/api/v1/query/topology`)).toMatchObject({ status: 400 })
      expect(await get(`${app.url}/api/v1/query/topology?view=nope`)).toMatchObject({
        status: 404,
        body: { error: { code: "unknown_view" } }
      })
      expect(await get(`${app.url}/api/v1/query/search?q=cpu%20%3E`)).toMatchObject({
        status: 400,
        body: { error: { code: "bad_search" } }
      })
      const found = await get(`${app.url}/api/v1/query/search?q=running-one`)
      expect((found.body.nodes as Array<{ id: string }>).map((n) => n.id)).toEqual(["r1"])
    })

    it("serves node details as panels with sparklines and the agent's latest state and series", async () => {
      await register(app, "p4", { controls: [{ id: "docker.stop", label: "Stop", confirm: true }] })
      const now = Date.now()
      const host = makeNode("hosts", "host-4", {
        latest: latestFields(now, { name: "host-4" }),
        metrics: { cpu: [[now, 42]], memory: [[now, 1_000_000]] }
      })
      const c = makeNode("containers", "c4", {
        latest: latestFields(now, { docker_container_name: "api", docker_container_state: "running" }),
        parents: { hosts: ["host-4"] },
        metrics: { cpu: [[now, 12]] },
        controls: ["docker.stop"]
      })
      await publish(app.url, fullReport("p4", 0, [host, c], now))
      const details = await get(`${app.url}/api/v1/query/nodes/containers/c4`)
      expect(details.status).toBe(200)
      const panels = details.body.panels as Array<Record<string, unknown>>
      expect(panels.find((p) => p.type === "controls")).toEqual({
        type: "controls",
        id: "controls",
        title: "Controls",
        probeId: "p4",
        controls: [{ id: "docker.stop", label: "Stop", confirm: true }]
      })
      const metrics = panels.find((p) => p.type === "metrics") as { metrics: Array<{ metric: string; latest: number }> }
      expect(metrics.metrics.map((m) => [m.metric, m.latest])).toEqual([["cpu", 12]])
      expect((await get(`${app.url}/api/v1/query/nodes/containers/none`)).status).toBe(404)
      const latest = await get(`${app.url}/api/v1/query/agents/p4/latest`)
      expect(latest.body).toMatchObject({ probeId: "p4", seq: 0, nodeCount: 2 })
      const series = await get(`${app.url}/api/v1/query/agents/p4/timeseries`)
      const hostSeries = (series.body.nodes as Record<string, { series: Array<{ metric: string; latest: number }> }>)[
        "host-4"
      ]!
      expect(hostSeries.series.map((s) => [s.metric, s.latest]).sort()).toEqual([
        ["cpu", 42],
        ["memory", 1_000_000]
      ])
      expect((await get(`${app.url}/api/v1/query/agents/nobody/timeseries`)).status).toBe(404)
      const stats = await get(`${app.url}/api/v1/query/stats`)
      expect(stats.body).toMatchObject({ agents: expect.any(Number), aggregator: { probes: expect.any(Number) } })
      const views = (stats.body.plugins as Array<{ plugin: string; kind: string; name: string }>).filter(
        (h) => h.plugin === "orchestrator-builtin-views"
      )
      expect(views.map((h) => [h.kind, h.name])).toContainEqual(["view", "containers"])
    })

    it("exposes Prometheus metrics, OpenAPI, health and ping; refuses wrong methods", async () => {
      const metrics = await (await fetch(`${app.url}/metrics`)).text()
      expect(metrics).toContain('orchestrator_reports_total{result="accepted"}')
      expect(metrics).toContain('orchestrator_nodes{topology="containers"}')
      expect(metrics).toContain("orchestrator_websocket_clients")
      expect(metrics).toContain("orchestrator_websocket_flush_seconds_bucket")
      const openapi = (await get(`${app.url}/openapi.json`)).body as { openapi: string; paths: Record<string, unknown> }
      expect(openapi.openapi).toBe("3.1.0")
      expect(Object.keys(openapi.paths)).toEqual(
        expect.arrayContaining(["/api/v1/reports", "/api/v1/query/topology", "/api/v1/agents/config/{agent_id}"])
      )
      expect((await get(`${app.url}/api/v1/ping`)).body).toMatchObject({ pong: true, version: "0.1.0" })
      const wrong = await fetch(`${app.url}/api/v1/reports`)
      expect(wrong.status).toBe(405)
      expect(wrong.headers.get("allow")).toBe("POST")
      expect((await get(`${app.url}/api/v1/nothing`)).status).toBe(404)
    })
    it("documents every answer in /openapi.json, and the answers match what it documents", async () => {
      await register(app, "doc")
      await publish(app.url, fullReport("doc", 0, [container("d1", "documented")]))
      const openapi = (await get(`${app.url}/openapi.json`)).body as {
        paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>
      }
      expect(openapi.paths["/metrics"]!.get!.responses["200"]!.content).toHaveProperty(["text/plain; version=0.0.4"])
      expect(openapi.paths["/api/v1/reports"]!.post!.responses).toHaveProperty("409")
      expect(openapi.paths["/api/v1/ws"]!.get!).toHaveProperty(["x-websocket-messages", "server"])
      expect(openapi.paths["/api/v1/probe/ws"]!.get!.responses).toHaveProperty("101")
      for (const [path, operations] of Object.entries(openapi.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          const json = operation.responses["200"]?.content?.["application/json"] as { schema: object } | undefined
          if (json !== undefined) expect(Object.keys(json.schema), `${method} ${path}`).not.toHaveLength(0)
        }
      }
      const matches = async (path: string, schema: Schema.Top) => {
        const answer = await get(`${app.url}${path}`)
        expect(answer.status, path).toBe(200)
        expect(
          () => Schema.decodeUnknownSync(schema as Schema.Codec<unknown, unknown>)(answer.body),
          path
        ).not.toThrow()
      }
      await matches("/api/v1/control/probes", Responses.ControlProbesResponse)
      await matches("/api/v1/query/agents/doc/latest", Responses.AgentLatestResponse)
      await matches("/api/v1/query/agents/doc/timeseries", Responses.AgentSeriesResponse)
      await matches("/api/v1/query/nodes/containers/d1/timeseries", Responses.NodeSeriesResponse)
      await matches("/api/v1/query/stats", Responses.StatsResponse)
    })
  })

  describe("WebSocket", () => {
    it("answers a search that does not parse with an error naming where it went wrong", async () => {
      const client = await TestSocket.open(`${app.url.replace("http", "ws")}/api/v1/ws`)
      client.send({ type: "subscribe", view: "containers", filters: { search: "cpu > " } })
      expect(await client.next((m) => m.type === "error")).toMatchObject({
        type: "error",
        code: "bad_search",
        position: expect.any(Number)
      })
      client.close()
    })

    it("sends a snapshot, then deltas as reports arrive, and answers pings", async () => {
      await register(app, "ws1")
      await publish(app.url, fullReport("ws1", 0, [container("w1", "alpha")]))
      const client = await TestSocket.open(`${app.url.replace("http", "ws")}/api/v1/ws`)
      client.send({ type: "subscribe", view: "containers", filters: { search: "alpha OR beta" } })
      const snapshot = await client.next((m) => m.type === "snapshot")
      expect((snapshot.view as { nodes: Array<{ id: string }> }).nodes.map((n) => n.id)).toEqual(["w1"])
      await publish(app.url, deltaReport("ws1", 1, [container("w2", "beta")], [{ topology: "containers", id: "w1" }]))
      const delta = (await client.next((m) => m.type === "delta")).delta as {
        add: Array<{ id: string }>
        remove: Array<string>
      }
      expect(delta.add.map((n) => n.id)).toEqual(["w2"])
      expect(delta.remove).toEqual(["w1"])
      client.send({ type: "ping", id: "7" })
      expect(await client.next((m) => m.type === "pong")).toEqual({ type: "pong", id: "7" })
      client.send({ type: "subscribe", view: 12 })
      expect(await client.next((m) => m.type === "error")).toMatchObject({ code: "bad_message" })
      client.send({ type: "subscribe", view: "nope" })
      expect(await client.next((m) => m.type === "error")).toMatchObject({ code: "unknown_view" })
      client.close()
    })

    it("relays controls and pipes between the UI and the probe's control channel", async () => {
      await register(app, "ctl")
      await publish(app.url, fullReport("ctl", 0, [container("x1", "target")]))
      const wsBase = app.url.replace("http", "ws")
      const probe = await TestSocket.open(`${wsBase}/api/v1/probe/ws?agent_id=ctl`)
      await expect(TestSocket.open(`${wsBase}/api/v1/probe/ws?agent_id=stranger`)).rejects.toThrow("404")
      const call = post(`${app.url}/api/v1/control`, {
        action: "docker.logs",
        targets: [
          { probeId: "ctl", nodeId: "x1", topology: "containers" },
          { probeId: "offline", nodeId: "y", topology: "containers" }
        ]
      })
      const request = (await probe.next((m) => m.type === "control")).request as { id: string; action: string }
      expect(request).toMatchObject({ action: "docker.logs", nodeId: "x1", topology: "containers", args: {} })
      probe.send({ type: "control.result", result: { id: request.id, ok: true, pipeId: "pipe-1" } })
      const answer = await call
      expect(answer.body).toEqual({
        results: [
          {
            probeId: "ctl",
            nodeId: "x1",
            topology: "containers",
            result: { id: request.id, ok: true, pipeId: "pipe-1" }
          },
          {
            probeId: "offline",
            nodeId: "y",
            topology: "containers",
            result: { id: expect.any(String), ok: false, error: "probe offline has no open control channel" }
          }
        ]
      })
      // Output before any client attaches (the first lines of a log tail) is kept for the first client.
      probe.send({ type: "pipe.output", pipeId: "pipe-1", data: Buffer.from("early\n").toString("base64") })
      await new Promise((r) => setTimeout(r, 50))
      const ui = await TestSocket.open(`${wsBase}/api/v1/ws`)
      ui.send({ type: "pipe.attach", pipeId: "pipe-1" })
      expect(await ui.next((m) => m.type === "pipe.output")).toEqual({
        type: "pipe.output",
        pipeId: "pipe-1",
        data: Buffer.from("early\n").toString("base64")
      })
      probe.send({ type: "pipe.output", pipeId: "pipe-1", data: Buffer.from("hello\n").toString("base64") })
      expect(await ui.next((m) => m.type === "pipe.output")).toEqual({
        type: "pipe.output",
        pipeId: "pipe-1",
        data: Buffer.from("hello\n").toString("base64")
      })
      ui.send({ type: "pipe.input", pipeId: "pipe-1", data: "bHM=" })
      expect(await probe.next((m) => m.type === "pipe.input")).toEqual({
        type: "pipe.input",
        pipeId: "pipe-1",
        data: "bHM="
      })
      probe.send({ type: "pipe.closed", pipeId: "pipe-1", reason: "exited" })
      expect(await ui.next((m) => m.type === "pipe.closed")).toEqual({
        type: "pipe.closed",
        pipeId: "pipe-1",
        reason: "exited"
      })
      ui.close()
      probe.close()
    })
  })
})

describe("AppServer security", () => {
  it("requires the token, exchanges it for an HttpOnly cookie, and authorises WebSockets by cookie", async () => {
    const app = await createApp({ port: 0, token: "s3cret-token" })
    try {
      expect((await get(`${app.url}/api/v1/query/views`)).status).toBe(401)
      expect((await get(`${app.url}/health`)).status).toBe(200)
      const bearer = { authorization: "Bearer s3cret-token" }
      expect((await get(`${app.url}/api/v1/query/views`, bearer)).status).toBe(200)
      expect((await post(`${app.url}/api/v1/auth/session`, { token: "wrong" })).status).toBe(401)
      const session = await post(`${app.url}/api/v1/auth/session`, { token: "s3cret-token" })
      const cookie = session.headers.get("set-cookie")!
      expect(cookie).toMatch(/^orch_session=[\w-]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/)
      const pair = cookie.split(";")[0]!
      expect((await get(`${app.url}/api/v1/query/views`, { cookie: pair })).status).toBe(200)
      await expect(TestSocket.open(`${app.url.replace("http", "ws")}/api/v1/ws`)).rejects.toThrow("401")
      const ws = await TestSocket.open(`${app.url.replace("http", "ws")}/api/v1/ws`, { cookie: pair })
      ws.send({ type: "ping" })
      expect(await ws.next()).toEqual({ type: "pong" })
      ws.close()
      const forged = await fetch(`${app.url}/api/v1/control`, {
        method: "POST",
        headers: { cookie: pair, origin: "http://evil.example" },
        body: JSON.stringify({ action: "x", targets: [{ probeId: "a", nodeId: "b", topology: "c" }] })
      })
      expect(forged.status).toBe(403)
    } finally {
      await app.close()
    }
  })

  it("disables state-changing requests when bound beyond loopback without a token", async () => {
    const app = await createApp({ host: "0.0.0.0", port: 0 })
    try {
      const base = `http://127.0.0.1:${app.port}`
      await post(`${base}/api/v1/agents/register`, { agentId: "z", hostname: "z", version: "1" })
      const put = await fetch(`${base}/api/v1/agents/config/z`, { method: "PUT", body: "{}" })
      expect(put.status).toBe(403)
      expect(((await put.json()) as { error: { code: string } }).error.code).toBe("controls_disabled")
    } finally {
      await app.close()
    }
  })

  it("refuses an invalid config, naming the setting", async () => {
    await expect(createApp({ port: 0, token: "short" })).rejects.toThrow(
      "invalid setting token: Expected a value with a length of at least 8"
    )
    await expect(createApp({ port: 0, maxBodyBytes: -5 })).rejects.toThrow("invalid setting maxBodyBytes")
  })

  it("fails to start with a clear error when the port is taken, and frees the port on close", async () => {
    const first = await createApp({ port: 0 })
    await expect(createApp({ port: first.port })).rejects.toThrow(
      `app server could not listen on 127.0.0.1:${first.port}: the port is already in use (pick another with --port)`
    )
    await first.close()
    const again = await createApp({ port: first.port })
    await again.close()
  })
})
