/**
 * The autoscaler's metrics from another process's app server: a real app server of `@orchestrator/core` (with a
 * token) that two probes published reports to over HTTP, read by `AppServerReports` and turned into `cpu` and
 * `mem` by `ProbeReports.sources`; its failures (wrong token, nothing listening) are typed and turn into "no
 * value"; and the example master's flag that wires it.
 */
import { App, Flags, Report } from "@orchestrator/core"
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePorts } from "../../../../../test/fixtures/process.js"
import * as AppsConfig from "../../../src/apps/config/AppsConfig.js"
import * as AppServerReports from "../../../src/apps/metrics/AppServerReports.js"
import * as ProbeReports from "../../../src/apps/metrics/ProbeReports.js"
import { withMasterHost } from "../masterHost.js"
import { app, webTask } from "./cluster.js"

const token = "test-token-0123456789"
const def = app({ id: "/prod/web", container: { docker: { image: "busybox" } }, cpus: 0.5, mem: 64 })
const running = (id: string) => webTask(id)

const container = (taskId: string, cpu: number, memory: number) =>
  Report.makeNode("containers", `c-${taskId}`, {
    labels: Report.latestFields(Date.now(), { "orchestrator.task-id": taskId }),
    latest: Report.latestFields(Date.now(), { docker_memory_limit_bytes: 64 * 1024 * 1024 }),
    metrics: { cpu: [[Date.now(), cpu]], memory: [[Date.now(), memory]] }
  })

describe("AppServerReports (a real app server, probes publishing over HTTP)", () => {
  let server: App.App
  const call = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body)
    })

  beforeAll(async () => {
    server = await App.createApp({ port: 0, token })
    for (const [probeId, taskId, cpu] of [
      ["probe-a", "prod.web.a", 40],
      ["probe-b", "prod.web.b", 20]
    ] as const) {
      expect(
        (await call("/api/v1/agents/register", { agentId: probeId, hostname: probeId, version: "t" })).status
      ).toBe(200)
      const node = container(taskId, cpu, 16 * 1024 * 1024)
      const published = await call("/api/v1/reports", {
        version: 1,
        probeId,
        hostname: probeId,
        kind: "full",
        seq: 0,
        timestamp: Date.now(),
        topologies: { containers: { nodes: { [node.id]: node } } }
      })
      expect(published.status, await published.text()).toBeLessThan(300)
    }
    // a probe registered without a report yet is skipped
    await call("/api/v1/agents/register", { agentId: "probe-c", hostname: "probe-c", version: "t" })
  })
  afterAll(() => server?.close())

  it("merges every probe's containers: the autoscaler's cpu and mem over all hosts", async () => {
    const reports = await Effect.runPromise(AppServerReports.make({ url: `${server.url}/`, token }))
    const merged = await Effect.runPromise(reports)
    expect(Object.keys(merged.topologies.containers!.nodes).sort()).toEqual(["c-prod.web.a", "c-prod.web.b"])
    const sources = ProbeReports.sources(reports)
    const tasks = [running("prod.web.a"), running("prod.web.b")]
    // cpu: (40 + 20) / 2 % of a core = 30 % of one core, over the app's 0.5 cpus = 60 %; mem 16 of 64 MiB
    expect(await Effect.runPromise(sources.cpu!(def, tasks))).toEqual(Option.some(60))
    expect(await Effect.runPromise(sources.mem!(def, tasks))).toEqual(Option.some(25))
  })

  it("fails typed on a wrong token or nothing listening; the metric sources then have no value", async () => {
    const wrong = await Effect.runPromise(AppServerReports.make({ url: server.url, token: "wrong" }))
    expect(await Effect.runPromise(Effect.flip(wrong))).toMatchObject({
      _tag: "AppServerUnavailable",
      reason: expect.stringContaining("HTTP 401")
    })
    const [port] = await freePorts(1)
    const nothing = await Effect.runPromise(
      AppServerReports.make({ url: `http://127.0.0.1:${port}`, timeoutMs: 1_000 })
    )
    expect(await Effect.runPromise(Effect.flip(nothing))).toMatchObject({ _tag: "AppServerUnavailable" })
    expect(await Effect.runPromise(ProbeReports.sources(nothing).cpu!(def, [running("prod.web.a")]))).toEqual(
      Option.none()
    )
  })

  it("feeds the example master's autoscaler with --autoscale-app-server (apps autoscaling on cpu are accepted)", async () => {
    const post = async (base: string) =>
      fetch(`${base}/v2/apps`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          id: "/auto/web",
          container: { docker: { image: "busybox" } },
          instances: 0,
          autoscale: { metric: "cpu", target: 50, min: 0, max: 2 }
        })
      })
    for (const flags of [[], ["--autoscale-app-server", server.url]]) {
      const config = AppsConfig.fromArgs(["--host", "127.0.0.1", "--port", "0", ...flags], {
        AUTOSCALE_APP_SERVER_TOKEN: token
      })
      await withMasterHost(config, async (base) => {
        const answer = await post(base)
        // without a source of cpu the app is refused naming the metric; with the app server it is stored
        expect(answer.status, await answer.text()).toBe(flags.length === 0 ? 422 : 201)
      })
    }
  }, 60_000)

  it("reads the app server once per maxAgeMs, however many sources ask", async () => {
    let requests = 0
    const counting = (async (...args: Parameters<typeof fetch>) => {
      requests++
      return originalFetch(...args)
    }) as typeof fetch
    const originalFetch = globalThis.fetch
    globalThis.fetch = counting
    try {
      const reports = await Effect.runPromise(AppServerReports.make({ url: server.url, token, maxAgeMs: 60_000 }))
      await Effect.runPromise(Effect.all([reports, reports, reports], { concurrency: "unbounded" }))
      // the list and one latest state per registered probe (three), once
      expect(requests).toBe(4)
    } finally {
      globalThis.fetch = originalFetch
    }
  })
})

describe("the example master's --autoscale-app-server", () => {
  it("takes an http(s) URL and the token from AUTOSCALE_APP_SERVER_TOKEN; refuses a second metrics source", () => {
    const config = AppsConfig.fromArgs(["--autoscale-app-server", "http://127.0.0.1:8080"], {
      AUTOSCALE_APP_SERVER_TOKEN: token
    })
    expect(config).toMatchObject({ apps: { autoscaleAppServer: { url: "http://127.0.0.1:8080", token } } })
    const bad = AppsConfig.fromArgs(["--autoscale-app-server", "127.0.0.1:4040"])
    expect(bad).toBeInstanceOf(Flags.ConfigError)
    expect((bad as Flags.ConfigError).message).toContain("--autoscale-app-server")
    const both = AppsConfig.fromArgs([
      "--autoscale-app-server",
      "http://127.0.0.1:8080",
      "--autoscale-docker",
      "/var/run/docker.sock"
    ])
    expect(both).toBeInstanceOf(Flags.ConfigError)
    expect((both as Flags.ConfigError).message).toContain("one source")
  })
})
