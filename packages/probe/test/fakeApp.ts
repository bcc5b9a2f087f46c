/**
 * A stand-in for the app server's probe-facing API on a real local HTTP server: registration, heartbeats,
 * agent config and report ingest (gzip checked, reports decoded and applied with the real delta protocol),
 * with scripted failures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { gunzipSync } from "node:zlib"
import { type AgentConfig, type ControlProtocol, ProbeState, Report } from "@orchestrator/core"
import { Effect } from "effect"
import { type WebSocket, WebSocketServer } from "ws"

/** A scripted answer to the next report: an HTTP status, `unknown_agent` (the app forgets the probe), or `hang`. */
export type Scripted = 500 | 503 | 409 | 413 | "unknown_agent" | "hang"

export interface Received {
  readonly at: number
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly encoding: string | undefined
  readonly report?: Report.Report
  readonly answer: number
}

export interface FakeApp {
  url: string
  port: number
  readonly received: Array<Received>
  readonly script: Array<Scripted>
  config: AgentConfig.AgentConfig
  token: string | undefined
  reports(): ReadonlyArray<Report.Report>
  registrations(): number
  state(probeId: string): ProbeState.ProbeState | undefined
  /** Forgets every agent and its state (an app restart). */
  forget(): void
  /** Stops listening (connections are refused) until `start`. */
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

export const makeFakeApp = async (options: { token?: string } = {}): Promise<FakeApp> => {
  const agents = new Set<string>()
  const states = new Map<string, ProbeState.ProbeState>()
  let registrations = 0
  let server: Server | undefined
  const app: FakeApp = {
    url: "",
    port: 0,
    received: [],
    script: [],
    token: options.token,
    config: { configVersion: 1, intervalMs: 15_000, fullReportEvery: 10, collectors: {}, controlsEnabled: true },
    reports: () => app.received.flatMap((r) => (r.report !== undefined ? [r.report] : [])),
    registrations: () => registrations,
    state: (probeId) => states.get(probeId),
    forget: () => {
      agents.clear()
      states.clear()
    },
    stop: () =>
      new Promise((resolve) => {
        if (server === undefined) return resolve()
        const s = server
        server = undefined
        s.close(() => resolve())
        s.closeAllConnections()
      }),
    start: () => listen(app.port),
    close: () => app.stop()
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now()
    const path = req.url ?? "/"
    const record = (answer: number, report?: Report.Report) =>
      app.received.push({
        at,
        method: req.method ?? "",
        path,
        authorization: req.headers.authorization,
        encoding: req.headers["content-encoding"] as string | undefined,
        answer,
        ...(report !== undefined ? { report } : {})
      })
    const body = await readBody(req)
    if (app.token !== undefined && req.headers.authorization !== `Bearer ${app.token}`) {
      record(401)
      return json(res, 401, { error: { code: "unauthorized", message: "a token is required" } })
    }
    if (req.method === "POST" && path === "/api/v1/agents/register") {
      const request = JSON.parse(body.toString()) as AgentConfig.RegisterRequest
      const agentId = request.agentId ?? "assigned"
      agents.add(agentId)
      registrations++
      record(200)
      return json(res, 200, { agentId, config: app.config })
    }
    const heartbeat = /^\/api\/v1\/agents\/heartbeat\/(.+)$/.exec(path)
    if (req.method === "POST" && heartbeat !== null) {
      const agentId = decodeURIComponent(heartbeat[1]!)
      if (!agents.has(agentId)) {
        record(404)
        return json(res, 404, { error: { code: "unknown_agent", message: "register first" } })
      }
      record(200)
      const state = states.get(agentId)
      return json(res, 200, {
        ok: true,
        configVersion: app.config.configVersion,
        expectedSeq: state ? state.seq + 1 : null
      })
    }
    const config = /^\/api\/v1\/agents\/config\/(.+)$/.exec(path)
    if (req.method === "GET" && config !== null) {
      record(200)
      return json(res, 200, app.config)
    }
    if (req.method === "POST" && path === "/api/v1/reports") {
      if (req.headers["content-encoding"] !== "gzip") {
        record(400)
        return json(res, 400, { error: { code: "bad_encoding", message: "expected gzip" } })
      }
      const report = Report.decodeSync(JSON.parse(gunzipSync(body).toString()))
      const scripted = app.script.shift()
      if (scripted === "hang") {
        record(0, report)
        return
      }
      if (scripted === "unknown_agent") {
        app.forget()
      } else if (scripted === 409) {
        record(409, report)
        return json(res, 409, { status: "resync", seq: null, expectedSeq: null, reason: "scripted" })
      } else if (scripted !== undefined) {
        record(scripted, report)
        return json(res, scripted, { error: { code: String(scripted), message: "scripted failure" } })
      }
      if (!agents.has(report.probeId)) {
        record(404, report)
        return json(res, 404, { error: { code: "unknown_agent", message: "register first" } })
      }
      const result = ProbeState.apply(states.get(report.probeId), report)
      if (result._tag === "ResyncRequired") {
        record(409, report)
        return json(res, 409, { status: "resync", seq: null, expectedSeq: result.expectedSeq, reason: result.reason })
      }
      if (result._tag === "Duplicate") {
        record(200, report)
        return json(res, 200, { status: "duplicate", seq: report.seq, expectedSeq: result.state.seq + 1 })
      }
      states.set(report.probeId, result.state)
      record(200, report)
      return json(res, 200, { status: "accepted", seq: report.seq, expectedSeq: report.seq + 1 })
    }
    record(404)
    json(res, 404, { error: { code: "not_found", message: path } })
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(
        (req, res) => void handle(req, res).catch((e) => json(res, 500, { error: { code: "bug", message: String(e) } }))
      )
      s.keepAliveTimeout = 1_000
      s.once("error", reject)
      s.listen(port, "127.0.0.1", () => {
        server = s
        app.port = (s.address() as AddressInfo).port
        app.url = `http://127.0.0.1:${app.port}`
        resolve()
      })
    })
  await listen(0)
  return app
}

/** Polls until `predicate` holds, failing after `timeoutMs`. */
export const waitFor = (what: string, predicate: () => boolean, timeoutMs = 10_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep(10)
    }
  })

/** One probe connection to the stand-in control socket, with every message it sent. */
export interface Connection {
  readonly socket: WebSocket
  readonly request: IncomingMessage
  readonly messages: Array<ControlProtocol.ProbeToApp>
}

/** A local WebSocket server standing in for the app's `/api/v1/probe/ws`; closed with its scope. */
export const appSocket = (options: { token?: string } = {}) =>
  Effect.acquireRelease(
    Effect.callback<{
      server: WebSocketServer
      url: string
      connections: Array<Connection>
      refuse: { status?: number }
    }>((resume) => {
      const connections: Array<Connection> = []
      const refuse: { status?: number } = {}
      const server = new WebSocketServer({
        host: "127.0.0.1",
        port: 0,
        verifyClient: (info, done) => {
          if (refuse.status !== undefined) return done(false, refuse.status)
          if (options.token !== undefined && info.req.headers.authorization !== `Bearer ${options.token}`) {
            return done(false, 401)
          }
          done(true)
        }
      })
      server.on("connection", (socket, request) => {
        const connection: Connection = { socket, request, messages: [] }
        socket.on("message", (data) => connection.messages.push(JSON.parse(data.toString())))
        connections.push(connection)
      })
      server.on("listening", () =>
        resume(
          Effect.succeed({
            server,
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            connections,
            refuse
          })
        )
      )
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resume(Effect.void))
      })
  )
