import * as os from "node:os"
import { App, AppServer, Fields, Plugin } from "@orchestrator/core"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import * as Pipes from "../src/Pipes.js"
import { layerEmbedded } from "../src/Probe.js"
import * as ProbeConfig from "../src/ProbeConfig.js"
import { createProbe, type RunningProbe } from "../src/RunningProbe.js"

const until = async (what: string, predicate: () => boolean, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const hostNode = (app: App.App) => app.aggregator.topology("hosts").nodes.find((n) => n.id === os.hostname())

const hello = Plugin.definePlugin({
  name: "hello",
  version: "1.0.0",
  apiVersion: 1,
  controls: [
    {
      id: "hello.greet",
      label: "Greet",
      topologies: ["hosts"],
      permission: "hosts:read",
      run: (request, ctx) => ({ greeting: `hello ${String(request.args.name)} from ${ctx.hostId}` })
    },
    {
      id: "hello.stream",
      label: "Stream",
      topologies: ["hosts"],
      permission: "hosts:read",
      stream: "logs",
      run: () => Pipes.stream((pipe) => void pipe.write("line 1\n"))
    }
  ]
})

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

const startApp = async (port = 0) => {
  const app = await App.createApp({ port })
  let closed = false
  const close = async () => {
    if (!closed) await app.close()
    closed = true
  }
  cleanup.push(close)
  return { app, close }
}

const startProbe = async (appUrl: string, extra: Parameters<typeof createProbe>[0] = {}): Promise<RunningProbe> => {
  const probe = await createProbe({
    appUrl,
    probeId: "e2e-probe",
    intervalMs: 200,
    backoffInitialMs: 50,
    backoffMaxMs: 300,
    plugins: [hello],
    // At a 200 ms interval only the host collector: the others have suites of their own (a busy machine could
    // push them past this interval's budget and into the health this test checks).
    builtins: { processes: false, docker: false, kubernetes: false },
    ...extra
  })
  cleanup.push(() => probe.stop())
  return probe
}

const runControl = async (url: string, action: string, args: Record<string, unknown> = {}) => {
  const response = await fetch(`${url}/api/v1/control`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      action,
      targets: [{ probeId: "e2e-probe", nodeId: os.hostname(), topology: "hosts" }],
      args
    })
  })
  expect(response.status).toBe(200)
  const body = (await response.json()) as {
    results: Array<{ result: { ok: boolean; result?: unknown; pipeId?: string } }>
  }
  return body.results[0]!.result
}

describe("probe -> real app server", () => {
  it("publishes this host to the app: the host node shows in the hosts view with its metrics", async () => {
    const { app } = await startApp()
    const probe = await startProbe(app.url)
    const published: Array<string> = []
    probe.on("published", (event) => published.push(`${event.kind}:${event.status}`))
    await until("the host node", () => hostNode(app) !== undefined)
    const node = hostNode(app)!
    expect(node.label).toBe(os.hostname())
    await until("a delta", () => published.includes("delta:accepted"))
    const details = await app.aggregator.node("hosts", os.hostname())
    expect(JSON.stringify(details)).toContain(String(os.cpus().length))
    expect(app.aggregator.probes().map((p) => p.probeId)).toEqual(["e2e-probe"])
    const config = await (await fetch(`${app.url}/api/v1/agents/config/e2e-probe`)).json()
    expect(config).toMatchObject({ configVersion: 1, intervalMs: 200, controlsEnabled: true })
    const stats = probe.stats()
    expect(stats.publisher).toMatchObject({ registered: true, agentId: "e2e-probe" })
    expect(stats.publisher.published).toBeGreaterThanOrEqual(2)
    expect(stats.collection.unhealthy.filter((h) => h.name !== "probe/controls")).toEqual([])
    const summary = app.aggregator.probes()[0]!
    expect(summary.health.find((h) => h.name === "host/collector/host")?.status).toBe("ok")
    const latestHost = probe.collect()
    expect((await latestHost).topologies.hosts?.[os.hostname()]?.latest[Fields.Latest.cpuCores]?.value).toBe(
      String(os.cpus().length)
    )
  })

  it("answers controls the app sends over the control channel, streams included", async () => {
    const { app } = await startApp()
    await startProbe(app.url)
    await until("the control channel", () => app.agents().some((a) => a.agentId === "e2e-probe" && a.connected))
    expect(await runControl(app.url, "hello.greet", { name: "ops" })).toEqual({
      id: expect.any(String),
      ok: true,
      result: { greeting: `hello ops from ${os.hostname()}` }
    })
    const stream = await runControl(app.url, "hello.stream")
    expect(stream).toMatchObject({ ok: true, pipeId: expect.any(String) })
    expect(await runControl(app.url, "hello.nope")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unknown control/)
    })
  })

  it("refuses controls with --no-controls", async () => {
    const { app } = await startApp()
    const args = ProbeConfig.fromArgs(["--no-controls"])
    if (args instanceof ProbeConfig.ConfigError) throw args
    await startProbe(app.url, { controlsEnabled: args.config.controlsEnabled })
    await until("the control channel", () => app.agents().some((a) => a.agentId === "e2e-probe" && a.connected))
    expect(await runControl(app.url, "hello.greet", { name: "ops" })).toEqual({
      id: expect.any(String),
      ok: false,
      error: "controls are disabled on this probe (--no-controls)"
    })
  })

  it("applies a config change made on the app, and re-registers after the app restarts", async () => {
    const first = await startApp()
    const port = first.app.port
    const probe = await startProbe(first.app.url)
    const kinds: Array<string> = []
    probe.on("published", (event) => kinds.push(event.kind))
    await until("the host node", () => hostNode(first.app) !== undefined)
    const put = await fetch(`${first.app.url}/api/v1/agents/config/e2e-probe`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fullReportEvery: 1, intervalMs: 150 })
    })
    expect(put.status).toBe(200)
    await until("the new config", () => probe.stats().settings.configVersion === 2)
    expect(probe.stats().settings).toMatchObject({ intervalMs: 150, fullReportEvery: 1 })
    // A report built before the change may still be on its way; every later one is full.
    kinds.length = 0
    await until("four reports", () => kinds.length >= 4)
    expect(kinds.slice(1).every((kind) => kind === "full")).toBe(true)

    await first.close()
    await until("a failure while the app is down", () => probe.stats().publisher.lastError !== undefined)
    const second = await startApp(port)
    await until("the host node on the restarted app", () => hostNode(second.app) !== undefined)
    expect(probe.stats().publisher.registrations).toBeGreaterThanOrEqual(2)
    expect(second.app.agents().map((a) => a.agentId)).toEqual(["e2e-probe"])
  })
})

describe("Probe.layerEmbedded", () => {
  it("runs a probe of this host inside the app server's process, as examples/app embeds it", async () => {
    const server = AppServer.AppServer.layerAll({ port: 0 })
    const probe = Layer.unwrap(
      Effect.gen(function* () {
        const app = yield* AppServer.AppServer
        return layerEmbedded({ appUrl: app.url, intervalMs: 200 })
      })
    )
    const runtime = ManagedRuntime.make(Layer.mergeAll(server, probe.pipe(Layer.provide(server))))
    cleanup.push(() => runtime.dispose())
    const app = await runtime.runPromise(AppServer.AppServer.use((s) => Effect.succeed(s)))
    await until("the embedded probe's host node", () =>
      app.views.render("hosts", {}).nodes.some((node) => node.id === os.hostname())
    )
    expect(app.agents.list().map((agent) => agent.agentId)).toEqual([`app@${os.hostname()}`])
  })
})
