import { App, type ControlProtocol, Plugin, PluginRegistry } from "@orchestrator/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ControlChannel from "../src/ControlChannel.js"
import * as Pipes from "../src/Pipes.js"
import { appSocket, type Connection, waitFor } from "./fakeApp.js"

const send = (connection: Connection, message: ControlProtocol.AppToProbe) =>
  connection.socket.send(JSON.stringify(message))

const request = (id: string, action: string, args: Record<string, unknown> = {}): ControlProtocol.AppToProbe => ({
  type: "control",
  request: { id, nodeId: "node-1", topology: "hosts", action, args }
})

const resultOf = (connection: Connection, id: string) =>
  Effect.gen(function* () {
    yield* waitFor(`result ${id}`, () =>
      connection.messages.some((m) => m.type === "control.result" && m.result.id === id)
    )
    const message = connection.messages.find((m) => m.type === "control.result" && m.result.id === id)!
    return (message as Extract<ControlProtocol.ProbeToApp, { type: "control.result" }>).result
  })

const outputs = (connection: Connection, pipeId: string) =>
  connection.messages.flatMap((m) =>
    m.type === "pipe.output" && m.pipeId === pipeId ? [Buffer.from(m.data, "base64").toString()] : []
  )

const closedPipes: Array<string> = []

const testPlugin = Plugin.definePlugin({
  name: "test",
  version: "1.0.0",
  apiVersion: 1,
  controls: [
    {
      id: "test.echo",
      label: "Echo",
      topologies: ["hosts"],
      permission: "hosts:read",
      run: (request, ctx) => ({ args: request.args, hostId: ctx.hostId, probeId: ctx.probeId })
    },
    {
      id: "test.fail",
      label: "Fail",
      topologies: ["hosts"],
      permission: "hosts:write",
      run: () => {
        throw new Error("boom")
      }
    },
    {
      id: "test.tty",
      label: "Terminal",
      topologies: ["hosts"],
      permission: "hosts:exec",
      stream: "terminal",
      run: () =>
        Pipes.stream(
          (pipe) => {
            pipe.write("ready\n")
            pipe.onInput((data) => pipe.write(`echo:${Buffer.from(data).toString()}`))
            pipe.onResize(({ cols, rows }) => pipe.write(`size ${cols}x${rows}`))
            pipe.onClose((reason) => closedPipes.push(reason))
          },
          { result: { tty: true } }
        )
    }
  ]
})

const channel = (url: string, refusal: () => string | undefined = () => undefined, token?: string) =>
  Effect.gen(function* () {
    const registry = yield* PluginRegistry.make()
    yield* registry.register(testPlugin)
    return yield* ControlChannel.make({
      appUrl: url,
      ...(token !== undefined ? { token } : {}),
      agentId: () => "agent 1",
      hostId: "node-1",
      registry,
      ready: Effect.void,
      refusal,
      backoffInitialMs: 20,
      backoffMaxMs: 100
    })
  })

describe("ControlChannel (against a local WebSocket server)", () => {
  it.live("connects with the agent id and bearer token, runs controls and answers their results", () =>
    Effect.gen(function* () {
      const app = yield* appSocket({ token: "tok-123456" })
      const probe = yield* channel(app.url, undefined, "tok-123456")
      yield* waitFor("a connection", () => app.connections.length === 1)
      const connection = app.connections[0]!
      expect(connection.request.url).toBe("/api/v1/probe/ws?agent_id=agent+1")
      expect(connection.request.headers.authorization).toBe("Bearer tok-123456")
      send(connection, request("r1", "test.echo", { n: 1 }))
      send(connection, request("r2", "test.fail"))
      send(connection, request("r3", "docker.stop"))
      expect(yield* resultOf(connection, "r1")).toEqual({
        id: "r1",
        ok: true,
        result: { args: { n: 1 }, hostId: "node-1", probeId: "agent 1" }
      })
      expect(yield* resultOf(connection, "r2")).toEqual({ id: "r2", ok: false, error: expect.stringMatching(/boom/) })
      expect(yield* resultOf(connection, "r3")).toEqual({
        id: "r3",
        ok: false,
        error: expect.stringMatching(/unknown control "docker.stop"/)
      })
      expect(probe.stats()).toMatchObject({ connected: true, connects: 1, controlsOk: 1, controlsFailed: 2 })
    })
  )

  it.live("opens a pipe for a streaming control: output, input, resize, close from the app", () =>
    Effect.gen(function* () {
      const app = yield* appSocket()
      const probe = yield* channel(app.url)
      yield* waitFor("a connection", () => app.connections.length === 1)
      const connection = app.connections[0]!
      send(connection, request("t1", "test.tty"))
      const result = yield* resultOf(connection, "t1")
      expect(result).toEqual({ id: "t1", ok: true, pipeId: expect.any(String), result: { tty: true } })
      const pipeId = result.pipeId!
      send(connection, { type: "pipe.input", pipeId, data: Buffer.from("ls\n").toString("base64") })
      send(connection, { type: "pipe.resize", pipeId, cols: 120, rows: 40 })
      yield* waitFor("echo and resize", () => outputs(connection, pipeId).length === 3)
      expect(outputs(connection, pipeId)).toEqual(["ready\n", "echo:ls\n", "size 120x40"])
      // The result is answered before any output, so the app knows the pipe when bytes arrive.
      const firstOutput = connection.messages.findIndex((m) => m.type === "pipe.output")
      const answer = connection.messages.findIndex((m) => m.type === "control.result")
      expect(answer).toBeLessThan(firstOutput)
      expect(probe.stats().pipesOpen).toBe(1)
      send(connection, { type: "pipe.close", pipeId })
      yield* waitFor("the pipe to close", () => probe.stats().pipesOpen === 0)
      expect(closedPipes.at(-1)).toBe("closed by the client")
    })
  )

  it.live("refuses controls while they are disabled, saying why", () =>
    Effect.gen(function* () {
      const app = yield* appSocket()
      yield* channel(app.url, () => "controls are disabled on this probe (--no-controls)")
      yield* waitFor("a connection", () => app.connections.length === 1)
      const connection = app.connections[0]!
      send(connection, request("r1", "test.echo"))
      expect(yield* resultOf(connection, "r1")).toEqual({
        id: "r1",
        ok: false,
        error: "controls are disabled on this probe (--no-controls)"
      })
    })
  )

  it.live("reconnects after the connection drops, closing the pipes of the old one", () =>
    Effect.gen(function* () {
      const app = yield* appSocket()
      const probe = yield* channel(app.url)
      yield* waitFor("a connection", () => app.connections.length === 1)
      const first = app.connections[0]!
      send(first, request("t1", "test.tty"))
      yield* resultOf(first, "t1")
      first.socket.terminate()
      yield* waitFor("a second connection", () => app.connections.length === 2)
      expect(closedPipes.at(-1)).toBe("control channel closed")
      const second = app.connections[1]!
      send(second, request("r1", "test.echo"))
      expect((yield* resultOf(second, "r1")).ok).toBe(true)
      yield* waitFor("connected", () => probe.stats().connected)
      expect(probe.stats().connects).toBe(2)
    })
  )

  it.live("keeps retrying while the app refuses the connection, and says why", () =>
    Effect.gen(function* () {
      const app = yield* appSocket()
      app.refuse.status = 404
      const probe = yield* channel(app.url)
      yield* waitFor("a refusal", () => probe.stats().lastError !== undefined)
      expect(probe.stats().lastError).toBe("the app refused the control channel: HTTP 404")
      delete app.refuse.status
      yield* waitFor("a connection", () => app.connections.length === 1)
    })
  )

  it.live("reports the code and reason when the app closes the channel, and connects again", () =>
    Effect.gen(function* () {
      const app = yield* appSocket()
      const probe = yield* channel(app.url)
      yield* waitFor("a connection", () => probe.stats().connects === 1)
      app.connections[0]!.socket.close(4000, "replaced by a newer connection")
      yield* waitFor("the close", () => probe.stats().lastError !== undefined)
      expect(probe.stats().lastError).toBe("control channel closed (4000: replaced by a newer connection)")
      yield* waitFor("a second connection", () => probe.stats().connects === 2)
    })
  )

  it.live("says why the real app refuses: a wrong token (401), an unregistered agent (404), no app at all", () =>
    Effect.gen(function* () {
      const app = yield* Effect.acquireRelease(
        Effect.promise(() => App.createApp({ port: 0, token: "right-token-123" })),
        (app) => Effect.promise(() => app.close())
      )
      const wrongToken = yield* channel(app.url, undefined, "wrong-token-456")
      const unknownAgent = yield* channel(app.url, undefined, "right-token-123")
      const noApp = yield* channel("http://127.0.0.1:1", undefined, "right-token-123")
      yield* waitFor("the refusals", () =>
        [wrongToken, unknownAgent, noApp].every((probe) => probe.stats().lastError !== undefined)
      )
      expect(wrongToken.stats().lastError).toBe(
        "the app refused the control channel: HTTP 401: this app requires a token or a session cookie"
      )
      expect(unknownAgent.stats().lastError).toBe(
        'the app refused the control channel: HTTP 404: unknown agent "agent 1": register first'
      )
      expect(noApp.stats().lastError).toBe("connect ECONNREFUSED 127.0.0.1:1")
      expect(wrongToken.stats().connected).toBe(false)
    })
  )

  it("builds ws:// and wss:// URLs from the app URL", () => {
    expect(ControlChannel.channelUrl("http://127.0.0.1:8080/", "a b")).toBe(
      "ws://127.0.0.1:8080/api/v1/probe/ws?agent_id=a+b"
    )
    expect(ControlChannel.channelUrl("https://app.example/base", "x")).toBe(
      "wss://app.example/base/api/v1/probe/ws?agent_id=x"
    )
  })
})
